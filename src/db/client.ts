import { count, type SQL } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

export type Db = DrizzleD1Database<typeof schema>;

/**
 * D1 statements prepared by this isolate since it started (every query goes
 * through `prepare`): tests read it to prove which paths make no D1 round trip.
 */
export const d1Stats = { statements: 0 };

function counted(d1: D1Database): D1Database {
  return new Proxy(d1, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "prepare") {
        return (query: string) => {
          d1Stats.statements++;
          return target.prepare(query);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * One drizzle instance per D1 binding: building one walks the whole schema
 * (relational config), which is far too slow to repeat per request or event.
 */
const instances = new WeakMap<D1Database, Db>();

export function createDb(d1: D1Database): Db {
  let db = instances.get(d1);
  if (!db) {
    db = drizzle(counted(d1), { schema });
    instances.set(d1, db);
  }
  return db;
}

/**
 * One page of `table`'s rows matching `where`, in `order`, and how many rows
 * match in all: both in one D1 batch (one round trip).
 */
export async function pageWithCount<T extends SQLiteTable>(
  db: Db,
  table: T,
  where: SQL | undefined,
  order: (SQLiteColumn | SQL)[],
  page: number,
  limit: number,
): Promise<{ rows: T["$inferSelect"][]; total: number }> {
  const [rows, total] = await db.batch([
    db
      .select()
      .from(table as SQLiteTable)
      .where(where)
      .orderBy(...order)
      .limit(limit)
      .offset((page - 1) * limit),
    db.select({ n: count() }).from(table as SQLiteTable).where(where),
  ]);
  return { rows: rows as T["$inferSelect"][], total: total[0]?.n ?? 0 };
}
