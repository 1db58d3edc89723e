/**
 * The SQLite schema of a user's Durable Object (UserHub), beside the D1
 * schema (schema.ts) so the one data model reads in one place.
 *
 * - `live_sessions`: one row per connection that joined the user's namespace.
 * - `sio_sessions`: recovery sessions (Socket.IO `pid`), live or dropped
 *   less than the recovery window ago.
 * - `outbox` / `outbox_meta`: the recovery log, one row per event and
 *   dialect; `seq` is the offset the event carries.
 * - `inbox`: per conversation the last message and this user's unread
 *   count, as the conversation's room last reported them (`rev` orders the
 *   reports).
 */
export const HUB_SCHEMA = [
  "CREATE TABLE IF NOT EXISTS live_sessions (sid TEXT PRIMARY KEY, dialect TEXT NOT NULL, attached_at INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS sio_sessions (pid TEXT PRIMARY KEY, sid TEXT, dialect TEXT NOT NULL, base_seq INTEGER NOT NULL, created_at INTEGER NOT NULL, detached_at INTEGER)",
  "CREATE INDEX IF NOT EXISTS sio_sessions_sid ON sio_sessions (sid)",
  "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, dialect TEXT, event TEXT NOT NULL, except_pid TEXT, only_pid TEXT, delivery TEXT)",
  "CREATE INDEX IF NOT EXISTS outbox_at ON outbox (at)",
  "CREATE TABLE IF NOT EXISTS outbox_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS inbox (conversation_id TEXT PRIMARY KEY, rev INTEGER NOT NULL, last_seq INTEGER NOT NULL, last_json TEXT, unread INTEGER NOT NULL)",
];
