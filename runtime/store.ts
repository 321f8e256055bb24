// Where the event store lives: --store DIR, else $PEH_STORE, else .peh/ in the workspace.
import { resolve } from "node:path";
import { LowdbEventStore } from "../events/adapters.js";

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

export function openStore(options: StoreOptions = {}): LowdbEventStore {
  return new LowdbEventStore(storeDir(options));
}
