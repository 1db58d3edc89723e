/**
 * Shared pieces of the fuzz tests (issue 11 item 8): a JSON Schema (OpenAPI
 * 3.1, as /openapi.json serves it) -> fast-check arbitrary, garbage values,
 * and a console.error watch that fails on logs meaning a crash.
 */
import fc from "fast-check";
import { vi } from "vitest";

type Schema = Record<string, any>;

/** Values of the wrong shape: wrong types, huge strings, unicode, nesting. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, "", " ", "null", "undefined", "NaN", "[]", "{}", "__proto__", "constructor"),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("a".repeat(5000), "𝕏".repeat(3000), "\u0000\uffff\ud800", "'; DROP TABLE users; --", "%00%ff", "../../etc/passwd", "$where", "<script>x</script>"),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
  fc.constant({ __proto__: { admin: true }, constructor: { prototype: {} } }),
  fc.jsonValue({ maxDepth: 6 }),
);

function resolve(spec: Schema, s: Schema | undefined): Schema {
  let cur = s ?? {};
  for (let i = 0; i < 10 && cur.$ref; i++) {
    const name = String(cur.$ref).replace("#/components/schemas/", "");
    cur = spec.components?.schemas?.[name] ?? {};
  }
  return cur;
}

function stringFor(s: Schema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 30, Math.max(min, 30));
  switch (s.format) {
    case "email":
      return fc.emailAddress();
    case "uuid":
      return fc.uuid();
    case "date-time":
      return fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString());
    case "date":
      return fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    case "uri":
    case "url":
      return fc.webUrl();
  }
  if (s.pattern) {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length >= min && x.length <= Math.max(max, min + 200));
    } catch {}
  }
  return fc.string({ minLength: min, maxLength: max });
}

/** An arbitrary of values shaped like `schema` (best effort; depth-bounded). */
export function fromSchema(spec: Schema, schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(spec, schema);
  if (depth > 4) return fc.constant(null);
  if ("const" in s) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts) && alts.length) return fc.oneof(...alts.map((a: Schema) => fromSchema(spec, a, depth + 1)));
  if (Array.isArray(s.allOf) && s.allOf.length) {
    const merged: Schema = { type: "object", properties: {}, required: [] };
    for (const part of s.allOf.map((p: Schema) => resolve(spec, p))) {
      Object.assign(merged.properties, part.properties ?? {});
      merged.required.push(...(part.required ?? []));
    }
    return fromSchema(spec, merged, depth + 1);
  }
  let type = s.type;
  if (Array.isArray(type)) {
    const types = type.filter((t: string) => t !== "null");
    return fc.oneof(fc.constant(null), ...types.map((t: string) => fromSchema(spec, { ...s, type: t }, depth + 1)));
  }
  if (!type && s.properties) type = "object";
  switch (type) {
    case "string":
      return stringFor(s);
    case "integer":
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
    case "number":
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(fromSchema(spec, s.items, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, 4) });
    case "object": {
      const props = s.properties ?? {};
      const required: string[] = s.required ?? [];
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries<Schema>(props)) model[k] = fromSchema(spec, v, depth + 1);
      if (!Object.keys(model).length) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      return fc.record(model, { requiredKeys: required.filter((k) => k in model) });
    }
  }
  return fc.jsonValue({ maxDepth: 2 });
}

/**
 * Schema-shaped values and their mutations: a field dropped, a field of the
 * wrong type, an unknown field added, or something else entirely.
 */
export function bodyArbitrary(spec: Schema, schema: Schema | undefined): fc.Arbitrary<unknown> {
  const shaped = fromSchema(spec, schema);
  const mutated = fc.tuple(shaped, fc.string({ maxLength: 12 }), garbage, fc.nat(3)).map(([v, key, junk, how]) => {
    if (!v || typeof v !== "object" || Array.isArray(v)) return junk;
    const o: Record<string, unknown> = { ...(v as object) };
    const keys = Object.keys(o);
    const pick = keys.length ? keys[key.length % keys.length] : key;
    if (how === 0) delete o[pick];
    else if (how === 1) o[pick] = junk;
    else if (how === 2) o[key || "extra"] = junk;
    else for (const k of keys) o[k] = junk;
    return o;
  });
  return fc.oneof({ arbitrary: shaped, weight: 3 }, { arbitrary: mutated, weight: 3 }, { arbitrary: garbage, weight: 2 });
}

/** Log lines that mean something crashed (an uncaught error) rather than a handled failure. */
const CRASH = /Uncaught|TypeError|ReferenceError|RangeError|SyntaxError|is not a function|Cannot read prop|undefined is not|Maximum call stack/;

/**
 * Watches console.error for the duration of a file. `crashes()` lists the
 * logged lines that look like crashes, except the benign ones named.
 */
export function watchConsoleErrors(benign: RegExp[] = []) {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    lines.push(
      args
        .map((a) => (a instanceof Error ? `${a.name}: ${a.message}\n${a.stack ?? ""}` : typeof a === "string" ? a : safeJson(a)))
        .join(" "),
    );
  });
  return {
    lines,
    crashes: () => lines.filter((l) => CRASH.test(l) && !benign.some((b) => b.test(l))),
    restore: () => spy.mockRestore(),
  };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
