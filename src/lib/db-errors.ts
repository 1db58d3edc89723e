/** Reading D1 failures: drizzle wraps the driver's error, the SQLite text is in `cause`. */

/** The error's message with those of its causes (`a <- b <- c`). */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(" <- ");
}

/** The column list of a violated UNIQUE constraint (`users.email`), or null for any other error. */
export function uniqueViolation(err: unknown): string | null {
  return /UNIQUE constraint failed: ([\w.,\s]+)/i.exec(errorText(err))?.[1].trim() ?? null;
}
