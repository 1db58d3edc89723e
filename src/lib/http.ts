/**
 * Shared plumbing for every REST route: the Hono environment type, the one
 * validation hook (zod failure -> our error body naming the field), and
 * small helpers for declaring OpenAPI routes.
 */
import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Db } from "../db/client";
import type { User } from "../db/schema";
import type { Env } from "../env";
import { describeZodError, errorBody } from "./errors";
import type { Dialect } from "./tokens";

export type { Db };

export interface AuthUser {
  /** `_id` */
  id: string;
  /** UUID */
  userId: string;
  dialect: Dialect;
  /** the token's `auth_time` (seconds): when the caller last logged in, if the token says */
  authTime?: number;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    db: Db;
    auth: AuthUser;
    /** the caller's row, read once by requireAuth */
    user: User;
    dialect: Dialect;
  };
}

/** Validation failure -> 400 (or 422 on 004 routes) naming every bad field. */
export const validationHook =
  (status: 400 | 422 = 400) =>
  (result: { success: boolean; error?: unknown }, c: Context) => {
    if (!result.success) {
      return c.json(errorBody(status, describeZodError(result.error as z.ZodError)), status);
    }
  };

/** Non-strict: `/api/messages/` is `/api/messages`, as the documents' Express/FastAPI servers treat it. */
export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook(400), strict: false });

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

/** A response entry for createRoute. */
export const ok = <T extends z.ZodType>(schema: T, description = "Success") => ({
  description,
  content: { "application/json": { schema } },
});
export const described = (description: string) => ({ description });

export const bearer = [{ bearerAuth: [] }];
