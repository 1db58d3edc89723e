/**
 * /api/auth: registration (000), login (000 JSON by phone or email, 004 form
 * login-or-register, dispatched on the body), and the existence check (000).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { PASSWORD_MAX } from "../lib/body-limit";
import { config } from "../lib/config";
import { ApiError, unauthorized } from "../lib/errors";
import { bearer, createRouter, described, ok, jsonBody } from "../lib/http";
import { AuthCheck, Data, Login004, UserWithToken } from "../views/schemas";
import { Email } from "../lib/schemas";
import { issueToken, nowSeconds } from "../lib/tokens";
import { requireAuth } from "../middleware/auth";
import {
  checkPassword,
  createUser,
  revokeTokens,
  findUserByEmail,
  findUserByPhone,
  phoneOrThrow,
} from "../domain/users";
import type { User } from "../db/schema";
import { userSelf } from "../views/user";
import { describeZodError } from "../lib/errors";

const auth = createRouter();

const Name = z.string().trim().min(1, "is required").max(100, "must be at most 100 characters");
const Password = z.string().min(6, "must be at least 6 characters").max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);
/** A password offered at login: never hashed when longer than any password can be. */
const GivenPassword = z.string().min(1, "is required").max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);
const Phone = z.string().trim().min(1, "is required").max(32, "is too long");

const RegisterBody = z
  .object({
    name: Name,
    phoneNumber: Phone,
    email: Email,
    password: Password,
    username: z.string().trim().regex(/^[a-z0-9._-]{2,32}$/i, "must be 2-32 letters, digits, '.', '_' or '-'").optional(),
    profileImage: z.string().trim().max(2048).optional(),
  })
  .openapi("RegisterRequest");

const PhoneLoginBody = z.object({ phoneNumber: Phone, password: GivenPassword });
const EmailLoginBody = z.object({ email: Email, password: GivenPassword });
const FormLoginBody = z.object({
  email: Email,
  name: z.string().trim().min(1).max(100).optional(),
  profile_image: z.string().trim().max(2048).optional(),
  password: GivenPassword.optional(),
});

const AnyLoginBody = z
  .object({
    phoneNumber: z.string().optional(),
    email: z.string().optional(),
    password: z.string().optional(),
    name: z.string().optional(),
    profile_image: z.string().optional(),
  })
  .openapi("LoginRequest", {
    description:
      "000: JSON `{phoneNumber, password}` (or `{email, password}`). 004: form `email, name, profile_image` " +
      "(login-or-register; `password` too when the account has one).",
  });

async function standardAuthData(env: Parameters<typeof issueToken>[0], user: User) {
  const token = await issueToken(env, { sub: user.id, uid: user.userId, dlc: "standard", ver: user.tokenVersion, authTime: nowSeconds() });
  return { ...userSelf(user), token };
}

auth.openapi(
  createRoute({
    method: "post",
    path: "/register",
    tags: ["Auth"],
    summary: "Register a user (000)",
    request: { body: jsonBody(RegisterBody) },
    responses: { 201: ok(Data(UserWithToken), "Created: `{success, data: {_id, userId, ..., token}}`"), 400: described("Invalid or already exists") },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const phoneNumber = phoneOrThrow(body.phoneNumber, config(c.env).phoneRegion);
    const user = await createUser(c.var.db, { ...body, phoneNumber });
    return c.json({ success: true, data: await standardAuthData(c.env, user) }, 201);
  },
);

const loginRoute = createRoute({
  method: "post",
  path: "/login",
  tags: ["Auth"],
  summary: "Log in (000 JSON) or log in / register (004 form)",
  request: {
    body: {
      required: false,
      content: {
        "application/json": { schema: AnyLoginBody },
        "application/x-www-form-urlencoded": { schema: AnyLoginBody },
        "multipart/form-data": { schema: AnyLoginBody },
      },
    },
  },
  responses: {
    200: ok(z.union([Data(UserWithToken), Login004]), "000: `{success, data: {..., token}}`; 004: `{access_token, token_type, user}`"),
    401: described("Invalid credentials"),
  },
});

auth.openapi(loginRoute, async (c) => {
  const contentType = c.req.header("content-type") ?? "";
  const isForm = /form/i.test(contentType);
  const raw: Record<string, unknown> = isForm ? c.req.valid("form") : c.req.valid("json");
  // A form without phoneNumber is 004's login-or-register; a phone login works in either encoding.
  const wantsChatSocket = isForm
    ? raw.phoneNumber === undefined
    : raw.phoneNumber === undefined && raw.password === undefined && raw.email !== undefined;

  if (wantsChatSocket) {
    const parsed = FormLoginBody.safeParse(raw);
    if (!parsed.success) throw new ApiError(422, describeZodError(parsed.error));
    return c.json(await chatSocketLogin(c.env, c.var.db, parsed.data));
  }

  let user: User | undefined;
  let password: string;
  if (raw.phoneNumber !== undefined) {
    const parsed = PhoneLoginBody.safeParse(raw);
    if (!parsed.success) throw new ApiError(400, describeZodError(parsed.error));
    password = parsed.data.password;
    user = await findUserByPhone(c.var.db, phoneOrThrow(parsed.data.phoneNumber, config(c.env).phoneRegion));
  } else {
    const parsed = EmailLoginBody.safeParse(raw);
    if (!parsed.success) {
      throw new ApiError(400, raw.email === undefined ? "phoneNumber: is required" : describeZodError(parsed.error));
    }
    password = parsed.data.password;
    user = await findUserByEmail(c.var.db, parsed.data.email);
  }
  if (!user || !(await checkPassword(user, password))) throw unauthorized("Invalid credentials");
  return c.json({ success: true, data: await standardAuthData(c.env, user) });
});

const PASSWORDLESS_OFF = "password: password-less login is switched off on this deployment; send the account's password";

async function chatSocketLogin(
  env: Parameters<typeof issueToken>[0],
  db: Parameters<typeof createUser>[0],
  body: z.infer<typeof FormLoginBody>,
) {
  // 004 login-or-register: an account without a password logs in with its
  // email alone unless the operator switched password-less login off
  // (AUTH_PASSWORDLESS="false"); then new accounts need a password too. An
  // account that has a password always needs it.
  const passwordless = config(env).passwordless;
  let user = await findUserByEmail(db, body.email);
  if (!user) {
    if (!passwordless && !body.password) throw unauthorized(PASSWORDLESS_OFF);
    user = await createUser(db, {
      email: body.email,
      name: body.name ?? body.email.split("@")[0],
      profileImage: body.profile_image ?? null,
      password: body.password ?? null,
    });
  } else if (user.passwordHash) {
    if (!body.password) throw unauthorized("password: this account has a password; send it with the login");
    if (!(await checkPassword(user, body.password))) throw unauthorized("Invalid credentials");
  } else if (!passwordless) {
    throw unauthorized(PASSWORDLESS_OFF);
  }
  const token = await issueToken(env, { sub: user.id, uid: user.userId, dlc: "chat-socket", ver: user.tokenVersion, authTime: nowSeconds() });
  return {
    access_token: token,
    token_type: "bearer",
    user: {
      _id: user.id,
      userId: user.userId,
      email: user.email,
      name: user.name,
      profile_image: user.profileImage,
    },
  };
}

auth.openapi(
  createRoute({
    method: "post",
    path: "/check",
    tags: ["Auth"],
    summary: "Check whether a phone number is registered (000)",
    request: { body: jsonBody(z.object({ phoneNumber: Phone })) },
    responses: { 200: ok(AuthCheck, "`{success, exists, data?}`") },
  }),
  async (c) => {
    const { phoneNumber } = c.req.valid("json");
    const user = await findUserByPhone(c.var.db, phoneOrThrow(phoneNumber, config(c.env).phoneRegion));
    if (!user) return c.json({ success: true, exists: false });
    return c.json({ success: true, exists: true, data: { _id: user.id, userId: user.userId, name: user.name } });
  },
);

auth.use("/logout-all", requireAuth);
auth.openapi(
  createRoute({
    method: "post",
    path: "/logout-all",
    tags: ["Auth"],
    summary: "Sign out everywhere: every token issued so far stops working",
    description:
      "Raises the account's token version: REST calls and new socket connections with any earlier token answer 401; " +
      "open sockets end when their token expires. Log in again for a new token.",
    security: bearer,
    responses: {
      200: ok(z.object({ success: z.literal(true), message: z.string() }), "`{success, message}`"),
      401: described("No valid token"),
    },
  }),
  async (c) => {
    await revokeTokens(c.var.db, c.var.auth.id);
    return c.json({ success: true, message: "Signed out of every session; log in again" });
  },
);

export { auth };
