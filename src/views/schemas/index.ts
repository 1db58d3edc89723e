/**
 * The wire shapes the views build (src/views/*.ts), as zod schemas: the
 * OpenAPI document's response schemas (src/routes/*.ts) and the AsyncAPI
 * document's payloads of server->client events (src/realtime/asyncapi.ts)
 * are both generated from them.
 *
 * They are checked against the views, not just written next to them: a REST
 * route that declares one of these as its response schema only type-checks
 * when its handler returns a value of that shape (@hono/zod-openapi types
 * the handler's `c.json(...)` from the route's responses), and the
 * `ViewChecks` block at the end fails `tsc` when a view's return type stops
 * fitting the schema documented for it.
 */
import type { z } from "@hono/zod-openapi";
import type { contactStatusEntry, contactStatusUpdate, historyView, scheduleView, statusView, templateView } from "../status";
import type { contactView, phoneStatusView, userWithStatusView } from "../contact";
import type { conversation003, conversationStart004, conversationSummary004 } from "../conversation";
import type { markedAsRead004, messageRead002, messageStatusPayload, roomConfirmation004, userTyping004 } from "../events";
import type { friendRequestView, friendView, metadataView } from "../friend";
import type { message001, message002, message003, message004, messageNotification, receiveMessagePayload } from "../message";
import type { connectionPayload, onlineUser002, onlineUsers004, userOfflinePayload, userOnlinePayload, userStatusPayload } from "../presence";
import type { userRef, userSearchResult, userSelf } from "../user";
import type { ContactStatusEntry, ContactStatusUpdate, ContactView, FriendRequestView, FriendView, HistoryEntryView, MetadataView, PhoneStatusView, ScheduleView, StatusView, TemplateView, UserRefView, UserSearchResultView, UserSelfView, UserWithStatusView } from "./users";
import type { ConnectionPayload, Conversation003, ConversationStart004, ConversationSummary004, MarkedAsRead004, Message001, Message002, Message003, Message004, MessageNotification, MessageRead002, MessageStatus, OnlineUser002, OnlineUsers004, ReceiveMessage, RoomConfirmation004, UserOffline, UserOnline, UserStatus001, UserTyping004 } from "./messages";

export * from "./users";
export * from "./messages";
export * from "./bodies";

// ---- compile-time checks: each view returns what its schema documents --------

type Fits<View extends (...args: never[]) => unknown, S extends z.ZodType> = ReturnType<View> extends z.output<S> ? true : false;
type ViewChecks = [
  Fits<typeof userRef, typeof UserRefView>,
  Fits<typeof userSelf, typeof UserSelfView>,
  Fits<typeof userSearchResult, typeof UserSearchResultView>,
  Fits<typeof statusView, typeof StatusView>,
  Fits<typeof historyView, typeof HistoryEntryView>,
  Fits<typeof templateView, typeof TemplateView>,
  Fits<typeof scheduleView, typeof ScheduleView>,
  Fits<typeof contactStatusEntry, typeof ContactStatusEntry>,
  Fits<typeof contactStatusUpdate, typeof ContactStatusUpdate>,
  Fits<typeof contactView, typeof ContactView>,
  Fits<typeof userWithStatusView, typeof UserWithStatusView>,
  Fits<typeof phoneStatusView, typeof PhoneStatusView>,
  Fits<typeof friendView, typeof FriendView>,
  Fits<typeof friendRequestView, typeof FriendRequestView>,
  Fits<typeof metadataView, typeof MetadataView>,
  Fits<typeof message001, typeof Message001>,
  Fits<typeof receiveMessagePayload, typeof ReceiveMessage>,
  Fits<typeof message002, typeof Message002>,
  Fits<typeof message003, typeof Message003>,
  Fits<typeof message004, typeof Message004>,
  Fits<typeof messageNotification, typeof MessageNotification>,
  Fits<typeof conversation003, typeof Conversation003>,
  Fits<typeof conversationSummary004, typeof ConversationSummary004>,
  Fits<typeof conversationStart004, typeof ConversationStart004>,
  Fits<typeof userTyping004, typeof UserTyping004>,
  Fits<typeof messageStatusPayload, typeof MessageStatus>,
  Fits<typeof messageRead002, typeof MessageRead002>,
  Fits<typeof markedAsRead004, typeof MarkedAsRead004>,
  Fits<typeof roomConfirmation004, typeof RoomConfirmation004>,
  Fits<typeof userOnlinePayload, typeof UserOnline>,
  Fits<typeof userOfflinePayload, typeof UserOffline>,
  Fits<typeof userStatusPayload, typeof UserStatus001>,
  Fits<typeof connectionPayload, typeof ConnectionPayload>,
  Fits<typeof onlineUser002, typeof OnlineUser002>,
  Fits<typeof onlineUsers004, typeof OnlineUsers004>,
];
/** Every entry must be `true`; a view that drifted from its schema makes one `false` and this line fail. */
export const viewChecks: ViewChecks extends true[] ? true : never = true;
