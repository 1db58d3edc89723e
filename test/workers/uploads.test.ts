/**
 * /api/uploads: R2 storage with size and type limits, and read authorisation
 * through the messages that carry a file's URL.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, BASE, makeUser, type TestUser } from "./helpers";

const LIMIT = 10 * 1024 * 1024; // UPLOAD_MAX_BYTES in wrangler.toml

async function rawUpload(u: TestUser, body: BodyInit, contentType: string, query = "") {
  const res = await exports.default.fetch(
    new Request(`${BASE}/api/uploads${query}`, { method: "POST", headers: { authorization: `Bearer ${u.token}`, "content-type": contentType }, body }),
  );
  return { status: res.status, body: (await res.json()) as any };
}

async function multipartUpload(u: TestUser, file: File | string, field = "file") {
  const form = new FormData();
  form.set(field, file);
  const res = await exports.default.fetch(new Request(`${BASE}/api/uploads`, { method: "POST", headers: { authorization: `Bearer ${u.token}` }, body: form }));
  return { status: res.status, body: (await res.json()) as any };
}

async function download(u: TestUser, url: string) {
  const path = new URL(url, BASE).pathname;
  return exports.default.fetch(new Request(`${BASE}${path}`, { headers: { authorization: `Bearer ${u.token}` } }));
}

const png = () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

describe("POST /api/uploads", () => {
  it("stores a multipart file and answers its URL", async () => {
    const u = await makeUser();
    const r = await multipartUpload(u, new File([png()], "photo.png", { type: "image/png" }));
    expect(r.status).toBe(201);
    expect(r.body.success).toBe(true);
    const d = r.body.data;
    expect(d).toMatchObject({ contentType: "image/png", size: 12, filename: "photo.png", type: "image" });
    expect(d._id).toMatch(/^[0-9a-f]{24}$/);
    expect(d.url).toBe(`${BASE}/api/uploads/${d._id}`);
    expect(d.fileUrl).toBe(d.url);
    const res = await download(u, d.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png());
  });

  it("stores a raw body with its content type and ?filename", async () => {
    const u = await makeUser();
    const r = await rawUpload(u, "%PDF-1.4 tiny", "application/pdf", "?filename=report.pdf");
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ contentType: "application/pdf", filename: "report.pdf", type: "file", size: 13 });
    const res = await download(u, r.body.data.url);
    expect(await res.text()).toBe("%PDF-1.4 tiny");
    expect(res.headers.get("content-disposition")).toContain("report.pdf");
  });

  it("413 beyond the size limit, raw or multipart; nothing is stored", async () => {
    const u = await makeUser();
    const big = new Uint8Array(LIMIT + 1);
    const raw = await rawUpload(u, big, "image/png");
    expect(raw.status).toBe(413);
    expect(raw.body).toMatchObject({ success: false, statusCode: 413, error: "Payload Too Large" });
    expect(raw.body.message).toContain("file");
    const multi = await multipartUpload(u, new File([big], "big.png", { type: "image/png" }));
    expect(multi.status).toBe(413);
    expect((await env.UPLOADS.list({ prefix: `uploads/${u._id}/` })).objects).toHaveLength(0);
    const exact = await rawUpload(u, new Uint8Array(LIMIT), "image/png");
    expect(exact.status).toBe(201);
    const stored = await env.UPLOADS.list({ prefix: `uploads/${u._id}/` });
    expect(stored.objects.map((o) => o.size)).toEqual([LIMIT]);
  });

  it("415 for a refused content type; 400 without a file", async () => {
    const u = await makeUser();
    for (const type of ["text/html", "application/x-msdownload", "image/svg+xml", "application/octet-stream"]) {
      const r = await rawUpload(u, "<b>x</b>", type);
      expect(r.status, type).toBe(415);
      expect(r.body).toMatchObject({ success: false, statusCode: 415, error: "Unsupported Media Type" });
    }
    const multi = await multipartUpload(u, new File(["<script>"], "x.html", { type: "text/html" }));
    expect(multi.status).toBe(415);
    const noFile = await multipartUpload(u, "just text", "other");
    expect(noFile.status).toBe(400);
    expect(noFile.body.message).toContain("file");
    const empty = await rawUpload(u, "", "text/plain");
    expect(empty.status).toBe(400);
    const anon = await exports.default.fetch(new Request(`${BASE}/api/uploads`, { method: "POST", headers: { "content-type": "image/png" }, body: png() }));
    expect(anon.status).toBe(401);
  });
});

describe("GET /api/uploads/:id authorisation", () => {
  it("is the uploader's until a message carries it, then its conversation's members'", async () => {
    const [a, b, c] = [await makeUser(), await makeUser(), await makeUser()];
    const up = await multipartUpload(a, new File([png()], "p.png", { type: "image/png" }));
    const url = up.body.data.url;
    expect((await download(b, url)).status).toBe(403);

    // 001 attachment.url links the file to the message
    const sent = await api("POST", "/api/messages/send", { token: a.token, body: { recipientId: b._id, text: "", attachment: { type: "image", url } } });
    expect(sent.status).toBe(201);
    expect(sent.body.attachment).toEqual({ type: "image", url });
    expect((await download(b, url)).status).toBe(200);
    expect((await download(c, url)).status).toBe(403);

    // a non-member cannot launder access by referencing the file in their own message
    const steal = await api("POST", "/api/messages/send", { token: c.token, body: { recipientId: a._id, text: "", attachment: { type: "image", url } } });
    expect(steal.status).toBe(403);
    // but B (now allowed to read it) may forward it, e.g. as a relative 003 fileUrl into a group with C
    const g = await api("POST", "/api/conversations/group", { token: b.token, body: { name: "g", members: [c._id] } });
    const fwd = await api("POST", "/api/messages", {
      token: b.token,
      body: { conversationId: g.body.data._id, message: "", messageType: "image", fileUrl: new URL(url).pathname },
    });
    expect(fwd.status).toBe(201);
    expect((await download(c, url)).status).toBe(200);
    // deleting the message that granted access takes it away again
    await api("DELETE", `/api/messages/${fwd.body.data._id}`, { token: b.token });
    expect((await download(c, url)).status).toBe(403);

    expect((await download(a, `${BASE}/api/uploads/0123456789abcdef01234567`)).status).toBe(404);
    const unknownRef = await api("POST", "/api/messages/send", {
      token: a.token,
      body: { recipientId: b._id, text: "", attachment: { type: "file", url: `${BASE}/api/uploads/0123456789abcdef01234567` } },
    });
    expect(unknownRef.status).toBe(400);
    expect(unknownRef.body.message).toContain("attachment.url");
  });
});

describe("GET /api/uploads/:id?token=", () => {
  it("accepts the token in the query for file reads only (an <img src> cannot send a header)", async () => {
    const owner = await makeUser();
    const stranger = await makeUser();
    const r = await multipartUpload(owner, new File([png()], "p.png", { type: "image/png" }));
    const path = new URL(r.body.data.url).pathname;
    const viaQuery = await exports.default.fetch(new Request(`${BASE}${path}?token=${owner.token}`));
    expect(viaQuery.status).toBe(200);
    expect(new Uint8Array(await viaQuery.arrayBuffer())).toEqual(png());
    const strangerRead = await exports.default.fetch(new Request(`${BASE}${path}?token=${stranger.token}`));
    expect(strangerRead.status).toBe(403);
    const bogus = await exports.default.fetch(new Request(`${BASE}${path}?token=nope`));
    expect(bogus.status).toBe(401);
    // other routes do not take a query token
    const me = await api("GET", `/api/users/me?token=${owner.token}`);
    expect(me.status).toBe(401);
  });
});

describe("raw text uploads keep their bytes and type", () => {
  async function upload(token: string, body: Uint8Array | string) {
    const res = await exports.default.fetch(
      new Request(`${BASE}/api/uploads`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" }, body }),
    );
    return { status: res.status, body: (await res.json()) as any };
  }
  async function download(token: string, url: string) {
    const res = await exports.default.fetch(new Request(`${BASE}${new URL(url).pathname}`, { headers: { authorization: `Bearer ${token}` } }));
    return new Uint8Array(await res.arrayBuffer());
  }

  it("a text/plain file that starts with '{' is stored as text/plain (was refused as application/json)", async () => {
    const u = await makeUser();
    const r = await upload(u.token, '{"not": "a request"}');
    expect(r.status).toBe(201);
    expect(r.body.data).toMatchObject({ contentType: "text/plain", size: 20 });
    expect(new TextDecoder().decode(await download(u.token, r.body.data.url))).toBe('{"not": "a request"}');
  });

  it("a text/plain file that is not UTF-8 is stored byte for byte", async () => {
    const u = await makeUser();
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]); // "café\n" in ISO-8859-1
    const r = await upload(u.token, latin1);
    expect(r.status).toBe(201);
    expect(r.body.data.size).toBe(5);
    expect(await download(u.token, r.body.data.url)).toEqual(latin1);
  });
});
