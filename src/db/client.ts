import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";
import type { Db } from "../lib/http";

export const createDb = (d1: D1Database): Db => drizzle(d1, { schema });
