// What the runtime needs of a store beyond its events, for either adapter: where it is (for
// messages and the bootstrap record), a directory on this host for a run's own files (the journal
// of its process groups; attempt logs on the embedded store), and its runs' leases. The one place
// that tells the adapters apart: everything else takes an EventStore.
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { LowdbEventStore, PostgresEventStore, type PostgresOutput } from "../../events/adapters.js";
import { PehError, type EventStore, type RunId } from "../../events/index.js";
import { fileLeases, postgresLeases, RUN_LEASE_MS, type RunLeases } from "../execution/lease.js";

export interface StorePlace {
  /** The store's directory, or its URL without password. */
  where: string;
  /** A directory on this host for the run's own files. */
  runDir(runId: RunId): string;
  leases: RunLeases;
  /** Whether the store is shared by hosts (PostgreSQL): attempts' output then goes into it. */
  shared: boolean;
  /** Where attempts' output is kept for every host (a shared store), besides the local log. */
  output?: PostgresOutput;
}

const places = new WeakMap<EventStore, StorePlace>();

export function placeOf(store: EventStore): StorePlace {
  const known = places.get(store);
  if (known) return known;
  let place: StorePlace;
  if (store instanceof LowdbEventStore) {
    place = { where: store.dir, runDir: (runId) => store.runDir(runId), leases: fileLeases((runId) => store.runDir(runId)), shared: false };
  } else if (store instanceof PostgresEventStore) {
    // Keyed by the database, not by the address this host reaches it at: workers of one host that
    // reach the server at other addresses (one per network) share the journal of their attempts'
    // processes, so whoever takes over a dead worker's attempt kills what it left running here.
    const local = join(process.env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "peh", "postgres", createHash("sha256").update(store.database).digest("hex").slice(0, 16));
    place = { where: store.where, runDir: (runId) => join(local, "runs", runId), leases: postgresLeases(store.leases, leaseMs()), shared: true, output: store.output };
  } else {
    throw new PehError("USAGE", "this command needs a durable store (a directory or a postgres:// URL), not an in-memory one");
  }
  places.set(store, place);
  return place;
}

/** $PEH_RUN_LEASE_SECONDS: how long a run's lease on a shared store outlives its holder's last renewal (default 30). */
function leaseMs(): number {
  const raw = process.env.PEH_RUN_LEASE_SECONDS;
  if (raw === undefined || raw === "") return RUN_LEASE_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 1) throw new PehError("USAGE", `PEH_RUN_LEASE_SECONDS must be a number of seconds ≥ 1, not "${raw}"`, "e.g. PEH_RUN_LEASE_SECONDS=30");
  return seconds * 1000;
}
