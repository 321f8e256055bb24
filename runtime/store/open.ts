// Where the event store lives: --store DIR|URL, else $PEH_STORE, else the nearest `.peh` in the
// working directory or above it (as git finds .git), else `.peh` in the working directory (made on
// the first plan). A store named explicitly must exist, except for the commands that create runs.
// A postgres:// URL (or `postgres` alone, for the standard PG* variables) names a PostgreSQL store.
import { dirname, join, resolve } from "node:path";
import { LowdbEventStore, PostgresEventStore, connectionOf, isPostgresStore } from "../../events/adapters.js";
import { PehError, type EventStore } from "../../events/index.js";
import { whyNotADirectory } from "./directory.js";

export interface StoreOptions {
  store?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Whether the command may make the store (`peh plan`, `peh run --from`, a worker service): then an
   * explicit store that does not exist yet is made, if the directory above it exists. Otherwise it
   * is a usage error: a mistyped --store must not read as "no runs yet".
   */
  create?: boolean;
}

const STORE_NAME = ".peh";

/** The store's directory, or for PostgreSQL its URL without password. */
export function storeDir(options: StoreOptions = {}): string {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const explicit = options.store ?? env.PEH_STORE;
  if (isPostgresStore(explicit)) return connectionOf(explicit!, env).where;
  if (explicit !== undefined) return resolve(cwd, explicit);
  return nearestStore(cwd) ?? join(cwd, STORE_NAME);
}

/** The nearest `.peh` directory in `dir` or a directory above it. */
function nearestStore(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, STORE_NAME);
    if (whyNotADirectory(candidate) === undefined) return candidate;
    if (dirname(at) === at) return undefined;
  }
}

/** The store, once its place can hold one (see StoreOptions.create for a store that does not exist yet). */
export function openStore(options: StoreOptions = {}): EventStore {
  const env = options.env ?? process.env;
  const named = options.store ?? env.PEH_STORE;
  // The server makes nothing of "create": its tables are made on first use.
  if (isPostgresStore(named)) return new PostgresEventStore(named!, { env });
  const dir = storeDir(options);
  const explicit = (options.store ?? (options.env ?? process.env).PEH_STORE) !== undefined;
  const flag = options.store !== undefined ? "--store" : "$PEH_STORE";
  const problem = whyNotADirectory(dir, { missingIsFine: true });
  if (problem) throw new PehError("USAGE", `the store ${dir} ${problem}`, `point ${explicit ? flag : "--store (or $PEH_STORE)"} at a directory; peh makes it when it does not exist`);
  if (explicit && whyNotADirectory(dir) !== undefined) {
    if (!options.create) {
      throw new PehError("USAGE", `the store ${dir} (from ${flag}) does not exist`, `check the path, or make a run there first: peh --store ${dir} plan --from plan.yaml`);
    }
    const above = whyNotADirectory(dirname(dir));
    if (above) throw new PehError("USAGE", `cannot make the store ${dir} (from ${flag}): ${dirname(dir)} ${above}`, "peh makes the store's own directory, not the ones above it: check the path, or make them first");
  }
  return new LowdbEventStore(dir);
}
