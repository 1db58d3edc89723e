/** Wire helpers shared by every view. */
export const iso = (d: Date | number | null | undefined): string | null =>
  d === null || d === undefined ? null : new Date(d).toISOString();
