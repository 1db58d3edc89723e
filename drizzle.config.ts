import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
  // wrangler applies the files in migrations/ in name order; keep them flat.
  migrations: { prefix: "index" },
});
