// The import graph of src/: files as nodes, every import (type-only ones
// included) as an arrow. Checks what README "Layout" promises: no circle of
// files, and no arrow running back up the layer order below except the ones
// listed in ALLOWED_UP. `node scripts/import-graph.mjs --print` shows the
// folder-to-folder arrows; the check runs in `npm run test:bundle`.
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

/** Layers, top first. A file may import its own layer or any layer below it. */
export const LAYERS = [
  ["index.ts", "app.ts"],
  ["jobs", "routes", "middleware"],
  ["objects"],
  ["realtime"],
  ["views"],
  ["domain"],
  ["lib"],
  ["db", "env.ts"],
];

/**
 * Arrows that run back up on purpose, as "from-folder -> to-folder" (README,
 * Layout): the domain and the socket layer call Durable Objects, through the
 * stub factories (objects/stubs.ts) and the RPC types (objects/rpc.ts,
 * objects/room-api.ts), never through an object's class.
 */
export const ALLOWED_UP = ["domain -> objects", "realtime -> objects"];
const ALLOWED_TARGETS = ["objects/stubs.ts", "objects/rpc.ts", "objects/room-api.ts"];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [p] : [];
  });
}

function resolveImport(from, spec) {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  const stripped = base.replace(/\.js$/, ".ts");
  return existsSync(stripped) ? stripped : null;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

export function graph() {
  const nodes = files(src).map((f) => relative(src, f));
  const edges = new Map(nodes.map((n) => [n, new Set()]));
  for (const n of nodes) {
    const text = readFileSync(join(src, n), "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const target = resolveImport(join(src, n), m[1] ?? m[2] ?? m[3]);
      if (target) edges.get(n).add(relative(src, target));
    }
  }
  return edges;
}

export function layerOf(file) {
  const top = file.split("/")[0];
  const i = LAYERS.findIndex((entries) => entries.includes(top));
  if (i < 0) throw new Error(`${file}: ${top} is in no layer of scripts/import-graph.mjs`);
  return i;
}

/** Strongly connected components with more than one file (Tarjan). */
export function circles(edges) {
  let index = 0;
  const idx = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  const visit = (v) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || edges.get(v).has(v)) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** Folder arrows that point to a layer above their own. */
export function upArrows(edges) {
  const up = new Map();
  for (const [from, targets] of edges) {
    for (const to of targets) {
      if (layerOf(to) < layerOf(from)) {
        const key = `${from.split("/")[0]} -> ${to.split("/")[0]}`;
        up.set(key, [...(up.get(key) ?? []), `${from} -> ${to}`]);
      }
    }
  }
  return up;
}

export function check() {
  const edges = graph();
  const problems = [];
  for (const c of circles(edges)) problems.push(`circle of ${c.length} files: ${c.join(", ")}`);
  for (const [key, list] of upArrows(edges)) {
    const allowed = ALLOWED_UP.includes(key) ? list.filter((arrow) => !ALLOWED_TARGETS.some((t) => arrow.endsWith(`-> ${t}`))) : list;
    if (allowed.length) problems.push(`arrow back up ${key}: ${allowed.join("; ")}`);
  }
  return { edges, problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { edges, problems } = check();
  if (process.argv.includes("--print")) {
    const folders = new Map();
    for (const [from, targets] of edges) {
      for (const to of targets) {
        const [a, b] = [from.split("/")[0], to.split("/")[0]];
        if (a !== b) folders.set(`${a} -> ${b}`, (folders.get(`${a} -> ${b}`) ?? 0) + 1);
      }
    }
    for (const [k, n] of [...folders].sort()) console.log(`${k} (${n})`);
  }
  for (const p of problems) console.error(p);
  console.log(`import graph: ${edges.size} files, ${problems.length} problem(s)`);
  process.exit(problems.length ? 1 : 0);
}
