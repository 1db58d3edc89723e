import type { Env } from "../env";

/** Paths served by the Engine.IO / Socket.IO gateway. */
export function isRealtimePath(pathname: string, env: Env): boolean {
  return pathname.startsWith("/socket.io/") || (env.COMPLIANCE_MODE === "true" && pathname.startsWith("/engine.io/"));
}

export async function handleRealtime(_request: Request, _env: Env, _ctx: ExecutionContext): Promise<Response> {
  return new Response("not implemented yet", { status: 501 });
}
