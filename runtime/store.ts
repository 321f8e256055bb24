// Where the event store lives: --store DIR, else $PEH_STORE, else .peh/ in the workspace.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { LowdbEventStore } from "../events/adapters.js";
import { PehError } from "../events/index.js";

export interface StoreOptions {
  store?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function storeDir(options: StoreOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  return resolve(cwd, options.store ?? env.PEH_STORE ?? ".peh");
}

/** The store, once its place can hold one: a directory, or nothing yet (it is made on the first plan). */
export function openStore(options: StoreOptions = {}): LowdbEventStore {
  const dir = storeDir(options);
  const problem = placeProblem(dir);
  if (problem) throw new PehError("USAGE", `the store ${dir} ${problem}`, "point --store (or $PEH_STORE) at a directory; peh makes it when it does not exist");
  return new LowdbEventStore(dir);
}

function placeProblem(dir: string): string | undefined {
  try {
    return statSync(dir).isDirectory() ? undefined : "is not a directory";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    return code === "ENOTDIR" ? "is below a file, not a directory" : `cannot be opened (${code})`;
  }
}
