/** The field types every view schema is made of (src/views/schemas/). */
import { z } from "@hono/zod-openapi";

export const Id = z.string().openapi({ description: "24 lowercase hex characters (`_id`)", example: "6650f0c2a1b2c3d4e5f60718" });
export const Uuid = z.string().openapi({ description: "the user's UUID v4 (`userId`)", example: "3f0e3a43-7d0b-4c52-9a43-6b0f1f5cbd51" });
export const Iso = z.string().openapi({ description: "ISO 8601 timestamp", example: "2026-12-04T17:00:00.000Z" });
export const IsoOrNull = Iso.nullable();
export const Str = z.string();
export const StrOrNull = z.string().nullable();
