// The pg driver, loaded on first use: a directory store never needs it, and loading it with the
// rest cost every command ~60 ms of its start (pg, and Node's fetch that pg looks at as it loads).
import { createRequire } from "node:module";
import type pg from "pg";

let loaded: typeof pg | undefined;

export function pgDriver(): typeof pg {
  return (loaded ??= createRequire(import.meta.url)("pg") as typeof pg);
}
