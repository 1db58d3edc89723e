/**
 * /api/uploads: message attachments in R2.
 *
 * POST takes a multipart form with a `file` field, or the raw file as the
 * body with its Content-Type (name via `?filename=` or `X-Filename`). Size is
 * limited by UPLOAD_MAX_BYTES (413 beyond), types by an allow-list (415).
 * GET streams the file to its uploader and to members of a conversation with
 * a message that carries its URL (403 otherwise, 404 unknown).
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  attachmentKind,
  baseType,
  isAllowedType,
  readableUpload,
  refusedType,
  storeUpload,
  tooLarge,
  uploadPath,
} from "../domain/uploads";
import type { Upload } from "../db/schema";
import { MULTIPART_SLACK, readCapped } from "../lib/body-limit";
import { config } from "../lib/config";
import { badRequest, notFound } from "../lib/errors";
import { bearer, createRouter, described, ok } from "../lib/http";
import { Data, FileBody, UploadView } from "../views/schemas";
import { EntityId } from "../lib/schemas";
import { iso } from "../views/common";

const uploadsRouter = createRouter();
const tags = ["Uploads"];

function uploadView(u: Upload, origin: string) {
  const url = `${origin}${uploadPath(u.id)}`;
  return {
    _id: u.id,
    url,
    fileUrl: url,
    type: attachmentKind(u.contentType),
    contentType: u.contentType,
    size: u.size,
    filename: u.filename,
    createdAt: iso(u.createdAt),
  };
}

uploadsRouter.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    summary: "Upload an attachment (multipart `file` field, or the raw file with its Content-Type)",
    description:
      "Accepted: images, video, audio, PDF, plain text/CSV/Markdown and common office documents. The answer's `url` goes into a message " +
      "(`attachment.url`, `fileUrl`, `file_url`); members of that conversation may then read the file.",
    security: bearer,
    request: { query: z.object({ filename: z.string().trim().max(255).optional() }) },
    responses: {
      201: ok(Data(UploadView).extend({ message: z.string() }), "`{success, data:{_id, url, fileUrl, type, contentType, size, filename}}`"),
      400: described("No file"),
      413: described("Larger than UPLOAD_MAX_BYTES"),
      415: described("Content type not accepted"),
    },
  }),
  async (c) => {
    const max = config(c.env).uploadMaxBytes;
    const contentType = c.req.header("content-type") ?? "";
    const declared = Number(c.req.header("content-length") ?? NaN);
    let file: { body: ArrayBuffer; contentType: string; filename: string | null };
    if (/^multipart\/form-data/i.test(contentType)) {
      if (declared > max + MULTIPART_SLACK) throw tooLarge(c.env);
      const form = await c.req.raw.formData().catch(() => {
        throw badRequest("file: the multipart body could not be read");
      });
      const part = form.get("file");
      if (!part || typeof part === "string") throw badRequest('file: is required (multipart field "file")');
      if (!isAllowedType(part.type)) throw refusedType(part.type);
      if (part.size > max) throw tooLarge(c.env);
      file = { body: await part.arrayBuffer(), contentType: part.type, filename: part.name || null };
    } else {
      if (!isAllowedType(contentType)) throw refusedType(contentType);
      if (declared > max) throw tooLarge(c.env);
      file = {
        body: (await readCapped(c.req.raw.body, max, () => tooLarge(c.env))).buffer as ArrayBuffer,
        contentType: baseType(contentType),
        filename: c.req.valid("query").filename ?? c.req.header("x-filename") ?? null,
      };
    }
    const upload = await storeUpload(c.env, c.var.db, c.var.auth.id, file);
    return c.json({ success: true, message: "File uploaded successfully", data: uploadView(upload, new URL(c.req.url).origin) }, 201);
  },
);

uploadsRouter.openapi(
  createRoute({
    method: "get",
    path: "/{uploadId}",
    tags,
    summary: "Download an attachment (uploader, or members of a conversation whose message carries it)",
    security: bearer,
    request: { params: z.object({ uploadId: EntityId.openapi({ param: { name: "uploadId", in: "path" } }) }) },
    responses: {
      200: { description: "The file, with its stored Content-Type", content: { "application/octet-stream": { schema: FileBody } } },
      403: described("Not allowed to read it"), 404: described("No such upload") },
  }),
  async (c) => {
    const upload = await readableUpload(c.var.db, c.req.valid("param").uploadId, c.var.auth.id);
    const object = await c.env.UPLOADS.get(upload.key);
    if (!object) throw notFound("Upload not found");
    const inline = /^(image|video|audio)\//.test(upload.contentType) || upload.contentType === "application/pdf";
    const name = encodeURIComponent(upload.filename ?? upload.id);
    return new Response(object.body, {
      headers: {
        "content-type": upload.contentType,
        "content-length": String(upload.size),
        "cache-control": "private, max-age=3600",
        "x-content-type-options": "nosniff",
        "content-disposition": `${inline ? "inline" : "attachment"}; filename*=UTF-8''${name}`,
      },
    });
  },
);

export { uploadsRouter };
