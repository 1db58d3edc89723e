// CI step: builds the Worker exactly as `wrangler deploy` would, offline
// (`wrangler deploy --dry-run --outdir dist/bundle`), so a bundle that no
// longer builds fails `npm test`. Reports the bundle size (raw and gzip) and
// checks that the deploy build has the development-only JWT fallback
// compiled out (isDevBuild folded to false).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";

const outdir = "dist/bundle";
rmSync(outdir, { recursive: true, force: true });
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NODE_ENV: "production", NO_COLOR: "1" };
const run = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], { env, encoding: "utf8" });
if (run.status !== 0) {
  console.error(run.stdout, run.stderr);
  console.error("bundle check FAILED: `wrangler deploy --dry-run` could not build the Worker");
  process.exit(1);
}
const code = readFileSync(`${outdir}/index.js`);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`bundle: ${kib(code.length)} (${(code.length / 1e6).toFixed(2)} MB), gzip ${kib(gzipSync(code).length)}`);
const upload = /Total Upload: .*/.exec(run.stdout + run.stderr);
if (upload) console.log(`wrangler: ${upload[0]}`);
if (!/var isDevBuild = [^\n]*&& false/.test(code.toString("utf8"))) {
  console.error("bundle check FAILED: the deploy build does not compile the development-only JWT fallback out (NODE_ENV must be production)");
  process.exit(1);
}
console.log("bundle check ok");
