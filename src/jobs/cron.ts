import type { Env } from "../env";

/**
 * Cron safety net (every minute): catches status expiries and schedule
 * events that a Durable Object alarm missed. Filled in by the status and
 * schedule work.
 */
export async function runCron(_env: Env, _scheduledTime: number): Promise<void> {}
