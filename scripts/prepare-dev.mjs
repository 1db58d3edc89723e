// Prepares a fresh clone for `wrangler dev` / tests: local secrets copied
// from the committed example, browser assets vendored from node_modules.
import { copyFileSync, existsSync } from "node:fs";
import "./vendor-assets.mjs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example");
}
