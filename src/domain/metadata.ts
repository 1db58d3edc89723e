/**
 * 001 conversation metadata: the caller's view of a relation with another
 * user (pin, block, custom ringtone, favourite), one row per (owner, other).
 * `isBlocked` is what relations.ts (`hasBlocked`, `watchersOf`) enforces.
 */
import { and, eq } from "drizzle-orm";
import { conversationMetadata } from "../db/schema";
import { badRequest } from "../lib/errors";
import type { Db } from "../db/client";
import { objectId } from "../lib/ids";
import type { MetadataState } from "./read-models";
import { requireUserByRef } from "./users";

export interface MetadataChanges {
  isPinned?: boolean;
  isBlocked?: boolean;
  customRingtone?: string | null;
  isFavorite?: boolean;
}

async function otherUser(db: Db, ownerId: string, otherRef: string) {
  const other = await requireUserByRef(db, otherRef);
  if (other.id === ownerId) throw badRequest("otherUserId: must be another user");
  return other;
}

/** The stored metadata, or the defaults (`_id: null`) when nothing was stored yet. */
export async function getMetadata(db: Db, ownerId: string, otherRef: string): Promise<MetadataState> {
  const other = await otherUser(db, ownerId, otherRef);
  const row = await db
    .select()
    .from(conversationMetadata)
    .where(and(eq(conversationMetadata.userId, ownerId), eq(conversationMetadata.otherUserId, other.id)))
    .get();
  return (
    row ?? {
      id: null,
      userId: ownerId,
      otherUserId: other.id,
      isPinned: false,
      isBlocked: false,
      customRingtone: null,
      isFavorite: false,
      createdAt: null,
      updatedAt: null,
    }
  );
}

/** Upserts: only the given fields change; returns the stored row. */
export async function upsertMetadata(db: Db, ownerId: string, otherRef: string, changes: MetadataChanges): Promise<MetadataState> {
  const other = await otherUser(db, ownerId, otherRef);
  const now = new Date();
  const set: MetadataChanges & { updatedAt: Date } = { updatedAt: now };
  if (changes.isPinned !== undefined) set.isPinned = changes.isPinned;
  if (changes.isBlocked !== undefined) set.isBlocked = changes.isBlocked;
  if (changes.customRingtone !== undefined) set.customRingtone = changes.customRingtone;
  if (changes.isFavorite !== undefined) set.isFavorite = changes.isFavorite;
  return db
    .insert(conversationMetadata)
    .values({
      id: objectId(now.getTime()),
      userId: ownerId,
      otherUserId: other.id,
      isPinned: changes.isPinned ?? false,
      isBlocked: changes.isBlocked ?? false,
      customRingtone: changes.customRingtone ?? null,
      isFavorite: changes.isFavorite ?? false,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({ target: [conversationMetadata.userId, conversationMetadata.otherUserId], set })
    .returning()
    .get();
}
