import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";
import type { Db } from "../lib/http";

/**
 * One drizzle instance per D1 binding: building one walks the whole schema
 * (relational config), which is far too slow to repeat per request or event.
 */
const instances = new WeakMap<D1Database, Db>();

export function createDb(d1: D1Database): Db {
  let db = instances.get(d1);
  if (!db) {
    db = drizzle(d1, { schema });
    instances.set(d1, db);
  }
  return db;
}
