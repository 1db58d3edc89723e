/**
 * Attachments: files stored in R2 (`env.UPLOADS`), one `uploads` row each.
 * A file is readable by its uploader and by members of a conversation with a
 * (not deleted) message that references it (`messages.upload_id`).
 */
import { and, eq, sql } from "drizzle-orm";
import { conversationMembers, type Upload, uploadRefs, uploads } from "../db/schema";
import type { Env } from "../env";
import { config } from "../lib/config";
import { ApiError, badRequest, forbidden, notFound } from "../lib/errors";
import type { Db } from "../db/client";
import { objectId } from "../lib/ids";

/** Content types accepted for upload: images, video, audio, PDF, plain text and common office documents. */
const ALLOWED: RegExp[] = [
  /^image\/(png|jpeg|gif|webp|avif|heic|heif|bmp)$/,
  /^video\/(mp4|webm|quicktime|ogg|3gpp|x-matroska)$/,
  /^audio\/(mpeg|mp4|aac|ogg|wav|x-wav|webm|flac|x-m4a)$/,
  /^application\/pdf$/,
  /^text\/(plain|csv|markdown)$/,
  /^application\/(msword|rtf|vnd\.ms-excel|vnd\.ms-powerpoint)$/,
  /^application\/vnd\.openxmlformats-officedocument\.(wordprocessingml\.document|spreadsheetml\.sheet|presentationml\.presentation)$/,
  /^application\/vnd\.oasis\.opendocument\.(text|spreadsheet|presentation)$/,
];

/** `image/png; charset=x` -> `image/png`. */
export const baseType = (contentType: string | null | undefined) => (contentType ?? "").split(";")[0].trim().toLowerCase();

export const isAllowedType = (contentType: string) => ALLOWED.some((re) => re.test(baseType(contentType)));

/** 001 attachment type of a content type. */
export const attachmentKind = (contentType: string): "image" | "video" | "file" => {
  const t = baseType(contentType);
  return t.startsWith("image/") ? "image" : t.startsWith("video/") ? "video" : "file";
};

export const uploadPath = (id: string) => `/api/uploads/${id}`;

const UPLOAD_REF = /\/api\/uploads\/([0-9a-f]{24})\/?$/;

/** The upload id a message URL points at (absolute or relative), or null for any other URL. */
export function uploadRefFromUrl(url: string): string | null {
  let path = url;
  try {
    path = new URL(url, "http://relative.invalid").pathname;
  } catch {
    return null;
  }
  return UPLOAD_REF.exec(path)?.[1] ?? null;
}

export function tooLarge(env: Env): ApiError {
  return new ApiError(413, `file: larger than the ${config(env).uploadMaxBytes} byte limit`);
}

export function refusedType(contentType: string): ApiError {
  return new ApiError(
    415,
    `file: content type ${baseType(contentType) || "(none)"} is not accepted (images, video, audio, PDF, plain text and office documents are)`,
  );
}

export interface NewUpload {
  body: ArrayBuffer;
  contentType: string;
  filename: string | null;
}

/** Checks the limits and stores the file; 413 beyond the size limit, 415 for a refused type. */
export async function storeUpload(env: Env, db: Db, ownerId: string, file: NewUpload): Promise<Upload> {
  const contentType = baseType(file.contentType);
  if (!isAllowedType(contentType)) throw refusedType(contentType);
  if (file.body.byteLength > config(env).uploadMaxBytes) throw tooLarge(env);
  if (file.body.byteLength === 0) throw badRequest("file: is empty");
  const now = new Date();
  const id = objectId(now.getTime());
  const key = `uploads/${ownerId}/${id}`;
  const filename = file.filename?.replace(/[\r\n"\\/]/g, "_").slice(0, 255) || null;
  await env.UPLOADS.put(key, file.body, { httpMetadata: { contentType } });
  try {
    return await db
      .insert(uploads)
      .values({ id, ownerId, key, contentType, size: file.body.byteLength, filename, createdAt: now })
      .returning()
      .get();
  } catch (err) {
    await env.UPLOADS.delete(key).catch(() => {});
    throw err;
  }
}

/** The uploader, or a member of a conversation whose (not deleted) message references the file. */
export async function canReadUpload(db: Db, upload: Upload, userId: string): Promise<boolean> {
  if (upload.ownerId === userId) return true;
  const row = await db
    .select({ one: sql<number>`1` })
    .from(uploadRefs)
    .innerJoin(
      conversationMembers,
      and(eq(conversationMembers.conversationId, uploadRefs.conversationId), eq(conversationMembers.userId, userId)),
    )
    .where(eq(uploadRefs.uploadId, upload.id))
    .limit(1)
    .get();
  return row !== undefined;
}

/** Loads an upload the caller may read; 404 unknown, 403 not authorised. */
export async function readableUpload(db: Db, id: string, userId: string): Promise<Upload> {
  const upload = await db.select().from(uploads).where(eq(uploads.id, id)).get();
  if (!upload) throw notFound("Upload not found");
  if (!(await canReadUpload(db, upload, userId))) throw forbidden("Access denied");
  return upload;
}

/**
 * For a message attachment URL: the upload it references (which the sender
 * must be allowed to read), or null when it is not one of our uploads.
 */
export async function attachmentUpload(db: Db, url: string, senderId: string, field: string): Promise<Upload | null> {
  const id = uploadRefFromUrl(url);
  if (!id) return null;
  const upload = await db.select().from(uploads).where(eq(uploads.id, id)).get();
  if (!upload) throw badRequest(`${field}: unknown upload ${id}`);
  if (!(await canReadUpload(db, upload, senderId))) throw forbidden("Access denied");
  return upload;
}
