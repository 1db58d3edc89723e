/**
 * D1 binds at most 100 parameters per statement: a list that goes into
 * `IN (...)` is split into parts that leave room for the query's other
 * parameters.
 */
export const D1_IN_LIST_MAX = 90;

export function chunks<T>(xs: readonly T[], n = D1_IN_LIST_MAX): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
