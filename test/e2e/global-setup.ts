/**
 * Layer 2 global setup: one `wrangler dev` (fresh state, migrated) shared by
 * the end-to-end test files, which get its URL via `inject("baseUrl")`.
 * Set E2E_BASE_URL to test a server you started yourself.
 */
import type { TestProject } from "vitest/node";
import { startWrangler, type WranglerServer } from "./wrangler";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

let server: WranglerServer | undefined;

export async function setup(project: TestProject) {
  if (process.env.E2E_BASE_URL) {
    project.provide("baseUrl", process.env.E2E_BASE_URL);
    return;
  }
  server = await startWrangler();
  project.provide("baseUrl", server.baseUrl);
}

export async function teardown() {
  await server?.stop();
}
