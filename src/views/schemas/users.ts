/** View schemas of users, statuses, contacts, friends and conversation metadata. */
import { z } from "@hono/zod-openapi";
import { Id, Uuid, Iso, IsoOrNull, Str, StrOrNull } from "./fields";

// ---- users ---------------------------------------------------------------

const identityFields = {
  _id: Id,
  userId: Uuid,
  name: Str,
  email: StrOrNull,
  username: Str,
  profileImage: StrOrNull,
  photoURL: StrOrNull,
  profile_image: StrOrNull,
};

export const UserRefView = z
  .object({ ...identityFields, profilePicture: StrOrNull })
  .openapi("UserRef", { description: "A short user reference (003 `members`, `senderId` objects); the image under every documented name." });

const UserIdentity = z.object({ ...identityFields, profilePicture: StrOrNull, phoneNumber: StrOrNull, role: Str });

const statusFields = { status: Str, customStatus: Str, statusUntil: IsoOrNull };
const presenceFields = { isOnline: z.boolean(), is_online: z.boolean(), lastSeen: IsoOrNull, last_seen: IsoOrNull };

export const UserSelfView = UserIdentity.extend({
  ...statusFields,
  ...presenceFields,
  timezone: Str,
  statusVisibility: Str,
  createdAt: IsoOrNull,
  updatedAt: IsoOrNull,
}).openapi("User", { description: "A user as its owner sees it (000 data/profile, 004 /users/me)." });

export const UserWithToken = UserSelfView.extend({ token: Str }).openapi("UserWithToken");

export const UserSearchResultView = z
  .object({
    _id: Id,
    userId: Uuid,
    email: StrOrNull,
    name: Str,
    username: Str,
    profile_image: StrOrNull,
    profileImage: StrOrNull,
    is_online: z.boolean(),
    isOnline: z.boolean(),
  })
  .openapi("UserSearchResult");

export const Login004 = z
  .object({
    access_token: Str,
    token_type: z.literal("bearer"),
    user: z.object({ _id: Id, userId: Uuid, email: StrOrNull, name: Str, profile_image: StrOrNull }),
  })
  .openapi("Login004", { description: "004 form login: `{access_token, token_type, user}`." });

// ---- status (000) ----------------------------------------------------------

export const EffectiveStatus = z.object(statusFields).openapi("EffectiveStatus", {
  description: "`statusUntil` passed reads as `available`.",
});
export const StatusView = z.object({ _id: Id, userId: Uuid, ...statusFields }).openapi("Status");

const ownerFields = { _id: Id, user: Id, userId: Uuid };
export const HistoryEntryView = z
  .object({ ...ownerFields, status: Str, customStatus: Str, startTime: IsoOrNull, endTime: IsoOrNull, duration: z.number().nullable() })
  .openapi("StatusHistoryEntry", { description: "`duration` in minutes; null while the entry is open." });
export const TemplateView = z
  .object({ ...ownerFields, name: Str, status: Str, customStatus: Str, duration: z.number().nullable(), createdAt: IsoOrNull, updatedAt: IsoOrNull })
  .openapi("StatusTemplate");
export const ScheduleView = z
  .object({
    ...ownerFields,
    status: Str,
    customStatus: Str,
    startTime: IsoOrNull,
    endTime: IsoOrNull,
    repeat: Str,
    active: z.boolean(),
    source: Str,
    createdAt: IsoOrNull,
    updatedAt: IsoOrNull,
  })
  .openapi("StatusSchedule");
export const UpcomingOccurrence = ScheduleView.extend({
  inProgress: z.boolean(),
  scheduleStartTime: Iso,
  scheduleEndTime: Iso,
}).openapi("ScheduleOccurrence", { description: "A schedule with `startTime`/`endTime` of one occurrence." });

export const ContactStatusEntry = z
  .object({ contactId: Id, userId: Uuid, name: Str, ...statusFields })
  .openapi("ContactStatusEntry", { description: "000 `contacts_status_initial` entry; `contactId` is the contact's `_id`." });
export const ContactStatusUpdate = z
  .object({ contactId: Id, userId: Uuid, name: Str, ...statusFields, timestamp: IsoOrNull })
  .openapi("ContactStatusUpdate", { description: "000 `contact_status_update`: a watched user's status changed (or expired)." });

// ---- contacts (000) --------------------------------------------------------

export const ContactView = UserIdentity.extend({
  contactId: Id,
  contactName: StrOrNull,
  currentStatus: EffectiveStatus.nullable(),
  addedAt: IsoOrNull,
}).openapi("Contact", { description: "`currentStatus` is null when the contact does not let you see it." });
export const UserWithStatusView = UserIdentity.extend(statusFields).openapi("UserWithStatus");
export const PhoneStatusView = z.object({ _id: Id, userId: Uuid, name: Str, ...statusFields }).openapi("PhoneStatus");

// ---- friends, metadata (001) -----------------------------------------------

export const FriendView = UserRefView.extend({ ...presenceFields, friendsSince: IsoOrNull }).openapi("Friend");
export const FriendRequestView = z
  .object({ _id: Id, from: UserRefView, to: UserRefView, fromId: Id, toId: Id, status: Str, createdAt: IsoOrNull, updatedAt: IsoOrNull })
  .openapi("FriendRequest");
export const MetadataView = z
  .object({
    _id: Id.nullable(),
    userId: Id,
    otherUserId: Id,
    isPinned: z.boolean(),
    isBlocked: z.boolean(),
    customRingtone: StrOrNull,
    isFavorite: z.boolean(),
    createdAt: IsoOrNull,
    updatedAt: IsoOrNull,
  })
  .openapi("ConversationMetadata");
