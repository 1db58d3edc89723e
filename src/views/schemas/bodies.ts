/** Response bodies shared by routes: envelopes, pages, and the answers of one route each. */
import { z } from "@hono/zod-openapi";
import { Id, Uuid, IsoOrNull, Str, StrOrNull } from "./fields";
import { FriendRequestView, FriendView, HistoryEntryView, ScheduleView, TemplateView, UserSelfView, UserWithStatusView } from "./users";
import { Message003, Pagination003 } from "./messages";

// ---- bodies shared by routes -------------------------------------------------

export const ErrorView = z
  .object({ success: z.literal(false), statusCode: z.number().int(), message: Str, error: Str, detail: Str })
  .openapi("Error", { description: "Every error body (CONTRACT.md)." });

/** 003 success envelope `{success, statusCode, message, data}`. */
export const Envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.boolean(), statusCode: z.number().int(), message: Str, data });

/** `{success, data}`. */
export const Data = <T extends z.ZodType>(data: T) => z.object({ success: z.boolean(), data });

/** `{success, message}` (deletions and the like). */
export const Done = z.object({ success: z.boolean(), message: Str }).openapi("Done");

export const PageInfo = z.object({ page: z.number().int(), limit: z.number().int(), total: z.number().int(), pages: z.number().int() }).openapi("PageInfo");

/** `{success, count, data:[...]}` (bulk creation). */
export const Counted = <T extends z.ZodType>(item: T) => z.object({ success: z.boolean(), count: z.number().int(), data: z.array(item) });

/** `{success, data:[...], pagination}` (000 lists). */
export const Paged = <T extends z.ZodType>(item: T) => z.object({ success: z.boolean(), data: z.array(item), pagination: PageInfo });

export const AuthCheck = z
  .object({ success: z.boolean(), exists: z.boolean(), data: z.object({ _id: Id, userId: Uuid, name: Str }).optional() })
  .openapi("AuthCheck");

export const SuggestionView = z
  .object({
    name: Str,
    status: Str,
    customStatus: Str,
    startTime: Str,
    endTime: Str,
    repeat: Str,
    confidence: z.number(),
    occurrences: z.number().int(),
    eligibleDays: z.number().int(),
  })
  .openapi("StatusSuggestion");

export const AnalyticsView = z
  .object({
    totalEntries: z.number().int(),
    totalDuration: z.number(),
    statusDurations: z.record(z.string(), z.number()),
    statusPercentages: z.record(z.string(), z.number()),
    mostFrequentStatus: StrOrNull,
    suggestions: z.object({ morning: StrOrNull, afternoon: StrOrNull, evening: StrOrNull }),
  })
  .openapi("StatusAnalytics");

export const UserProfileView = z
  .object({ profile: UserSelfView, recentHistory: z.array(HistoryEntryView), activeSchedules: z.array(ScheduleView), templates: z.array(TemplateView) })
  .openapi("UserProfile");

export const ContactFilterResult = z
  .object({
    success: z.boolean(),
    users: z.array(UserWithStatusView),
    debug: z.object({ originalPhoneNumbers: z.array(Str), normalizedPhoneNumbers: z.array(StrOrNull) }),
  })
  .openapi("ContactFilterResult");

export const FriendRequestResult = FriendRequestView.extend({
  success: z.boolean(),
  message: Str,
  request: FriendRequestView,
  friend: FriendView.optional().openapi({ description: "on accept: the new friend" }),
}).openapi("FriendRequestResult");

export const FriendsList = z.object({ success: z.boolean(), friends: z.array(FriendView) }).openapi("FriendsList");
export const FriendRequestsList = z
  .object({ success: z.boolean(), incoming: z.array(FriendRequestView), outgoing: z.array(FriendRequestView) })
  .openapi("FriendRequestsList");

export const MarkedRead004 = z
  .object({ message: Str, success: z.boolean(), conversation_id: Id, modifiedCount: z.number().int() })
  .openapi("MarkedRead004");

export const LeftConversation = z.object({ _id: Id, conversationId: Id, status: Str, createdBy: Str }).openapi("LeftConversation");

export const MessagePage003 = z
  .union([
    z.object({ messages: z.array(Message003), pagination: Pagination003 }),
    z.object({ messages: z.array(Message003), hasMore: z.boolean(), lastSeq: z.number().int(), since: z.union([Str, z.number()]) }),
  ])
  .openapi("MessagePage003", { description: "Page 1 is the newest page, each page oldest first; with `since`: the catch-up after it." });

export const UnreadCount = z.object({ unreadCount: z.number().int(), count: z.number().int(), conversationId: Id.optional() }).openapi("UnreadCount");

export const UploadView = z
  .object({ _id: Id, url: Str, fileUrl: Str, type: Str, contentType: Str, size: z.number().int(), filename: StrOrNull, createdAt: IsoOrNull })
  .openapi("Upload");

/** A file body (uploads). */
export const FileBody = z.string().openapi({ type: "string", format: "binary" });
