// Copies the committed local secrets to .dev.vars on first run, so a fresh
// clone needs nothing but `npm install` and `npm run dev`.
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example");
}
