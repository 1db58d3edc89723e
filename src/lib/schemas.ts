/** zod building blocks shared by routes and socket events. */
import { z } from "@hono/zod-openapi";
import { isObjectId, isUserRef } from "./ids";

export const STATUS_VALUES = [
  "available", "busy", "away", "dnd", "at_work", "at_home", "at_school", "at_college",
  "at_hospital", "meeting", "driving", "commuting", "working_out", "eating", "sleeping",
  "studying", "custom",
] as const;
/** A missing value reads "is required", a wrong one lists the choices. */
const choiceError = (values: readonly string[]) => (iss: { input?: unknown }) =>
  iss.input === undefined ? "is required" : `must be one of ${values.join(", ")}`;
export const StatusValue = z.enum(STATUS_VALUES, { error: choiceError(STATUS_VALUES) });

/** Longest accepted status duration (and history entry, template duration): one year, in minutes. */
export const MAX_DURATION_MINUTES = 366 * 24 * 60;
export const MAX_CUSTOM_STATUS = 200;

/** A status's free text (status changes, templates, history entries). */
export const CustomStatusText = z
  .string()
  .max(MAX_CUSTOM_STATUS, `must be at most ${MAX_CUSTOM_STATUS} characters`)
  .nullable()
  .optional()
  .openapi({ example: "In a meeting" });

/** Minutes; fractions allowed (0.05 = 3 s). */
export const DurationMinutes = z
  .number({ message: "must be a number of minutes" })
  .positive("must be greater than 0")
  .max(MAX_DURATION_MINUTES, `must be at most ${MAX_DURATION_MINUTES} minutes (one year)`)
  .nullable()
  .optional()
  .openapi({ example: 60, description: "Minutes (fractions allowed); the status reverts to `available` afterwards." });

/** A status template's writable fields (POST /api/status/templates, bulk items). */
export const TemplateFields = {
  name: z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"),
  status: StatusValue,
  customStatus: CustomStatusText,
  duration: DurationMinutes,
};

export const MESSAGE_TYPES = [
  "text", "image", "video", "file", "visitor", "checkin", "checkout", "task", "note", "splitMoney",
] as const;
export const MessageType = z.enum(MESSAGE_TYPES);
export type MessageTypeValue = (typeof MESSAGE_TYPES)[number];

/** A user named by `_id` (24 hex) or `userId` (UUID). */
export const UserRef = z
  .string()
  .trim()
  .refine(isUserRef, { message: "must be a user id (24-hex _id or UUID userId)" })
  .openapi({ example: "60d21b4667d0d8992e610c85" });

/** Any other entity id (24 hex). */
export const EntityId = z
  .string()
  .trim()
  .refine(isObjectId, { message: "must be a 24-character hex id" })
  .openapi({ example: "60d21b4667d0d8992e610c85" });

export const UserRefParam = z.object({ userId: UserRef.openapi({ param: { name: "userId", in: "path" } }) });
export const IdParam = z.object({ id: EntityId.openapi({ param: { name: "id", in: "path" } }) });
export const ConversationParam = z.object({ conversationId: EntityId.openapi({ param: { name: "conversationId", in: "path" } }) });

export const IsoDate = z
  .string()
  .trim()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: "must be an ISO 8601 date" })
  .transform((s) => new Date(s))
  .openapi({ type: "string", format: "date-time", example: "2023-01-01T00:00:00.000Z" });

export const Email = z.string().trim().toLowerCase().pipe(z.email({ message: "must be a valid email address" }));

/** IANA time zone accepted by Intl. */
export const TimeZone = z
  .string()
  .trim()
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: "must be an IANA time zone such as Europe/Berlin" },
  );
