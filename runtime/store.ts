// Where the event store lives: --store DIR, else $PEH_STORE, else .peh/ in the workspace.
import { resolve } from "node:path";
import { LowdbEventStore } from "../events/adapters.js";
import { PehError } from "../events/index.js";
import { whyNotADirectory } from "./directory.js";

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
  const problem = whyNotADirectory(dir, { missingIsFine: true });
  if (problem) throw new PehError("USAGE", `the store ${dir} ${problem}`, "point --store (or $PEH_STORE) at a directory; peh makes it when it does not exist");
  return new LowdbEventStore(dir);
}
