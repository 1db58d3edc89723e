/**
 * The SQLite schema of a conversation's Durable Object (ConversationRoom),
 * beside the D1 schema (schema.ts) so the one data model reads in one place.
 *
 * The room owns the conversation's message log and read state; D1 keeps
 * the conversation and its memberships (relational, rarely written).
 *
 * - `messages`: the log, `seq` gap-free from 1; `(sender_id, client_msg_id)`
 *   makes resends idempotent. Times are epoch milliseconds.
 * - `receipts`: when a member read one message (single-message reads).
 * - `reads`: each member's read position and unread counter (messages from
 *   others, not deleted, above the position), kept on write so counting
 *   never scans history; `joined_at` tells a re-join from the same
 *   membership, `active` whether the user is a member now.
 * - `people`: profile fields of everyone who was a member (senders of old
 *   messages keep a name after they leave).
 * - `joined`: connections (recovery session `pid`) that joined the room
 *   (004 `join_conversation`, 003 `joinGroup`).
 * - `hub_backlog`: calls to members' UserHubs that failed even after
 *   retries, sent again in order by the alarm.
 * - `fan_out_mark`: one row, `done`: every message up to it has reached
 *   every member's hub (src/objects/fan-out-mark.ts).
 */
export const ROOM_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    sender_id TEXT NOT NULL,
    recipient_id TEXT,
    type TEXT NOT NULL,
    text TEXT NOT NULL,
    attachment_type TEXT,
    attachment_url TEXT,
    upload_id TEXT,
    payload TEXT,
    reply_to TEXT,
    client_msg_id TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    edited INTEGER NOT NULL DEFAULT 0,
    edited_at INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    deleted_by TEXT,
    deleted_at INTEGER
  )`,
  "CREATE UNIQUE INDEX IF NOT EXISTS messages_client_uq ON messages (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL",
  "CREATE INDEX IF NOT EXISTS messages_created ON messages (created_at)",
  "CREATE TABLE IF NOT EXISTS receipts (message_seq INTEGER NOT NULL, user_id TEXT NOT NULL, read_at INTEGER NOT NULL, PRIMARY KEY (message_seq, user_id))",
  `CREATE TABLE IF NOT EXISTS reads (
    user_id TEXT PRIMARY KEY,
    read_seq INTEGER NOT NULL,
    read_at INTEGER,
    unread INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
  )`,
  "CREATE TABLE IF NOT EXISTS people (user_id TEXT PRIMARY KEY, json TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS joined (pid TEXT PRIMARY KEY, user_id TEXT NOT NULL, joined_at INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS hub_backlog (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, call TEXT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS fan_out_mark (id INTEGER PRIMARY KEY CHECK (id = 1), done INTEGER NOT NULL)",
];
