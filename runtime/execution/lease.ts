// One orchestrator per run. On the embedded store, a lease file (`runs/<run>/lease`) naming its
// holder: pid, host and start time (events/adapters/lowdb/process-identity.ts); on PostgreSQL, a lease row on the
// server's clock, renewed while the run executes, so two hosts cannot both run it. A second
// `peh run` on a live run is refused (exit 4, naming the holder); a lease whose holder died (or
// expired), or whose pid now belongs to another process, is taken over. The views read it too
// (`livenessOf`), to tell a live run from a stopped one.
import { open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { PehError, type RunId } from "../../events/index.js";
import type { Liveness } from "../../projections/status.js";
import { describeHolder, holderText, isHolderAlive, parseHolder, sameHolder, thisProcess, type Holder, type PostgresLeases } from "../../events/adapters.js";

export interface Lease {
  release(): Promise<void>;
  /** The pid of a dead holder whose lease was taken over, if any. */
  tookOverFrom?: number;
}

/** Where a store keeps its runs' leases. */
export interface RunLeases {
  acquire(runId: RunId): Promise<Lease>;
  /** Who holds the run's lease, and whether that process still runs; undefined when nobody does. */
  holder(runId: RunId): Promise<{ holder: Holder; alive: boolean } | undefined>;
}

function heldBy(runId: string, holder: Holder): PehError {
  return new PehError(
    "APPEND_CONFLICT",
    `run ${runId} is being run by another peh (${describeHolder(holder)})`,
    `wait for it, or stop it (kill ${holder.pid}${holder.host === thisProcess().host ? "" : ` on ${holder.host}`}); decisions and trust can be given meanwhile with peh decide / peh trust`,
  );
}

/** The embedded store's leases: a file in each run's directory. */
export function fileLeases(runDirOf: (runId: RunId) => string): RunLeases {
  const leasePath = (runId: RunId) => join(runDirOf(runId), "lease");
  return {
    async acquire(runId) {
      const path = leasePath(runId);
      let tookOverFrom: number | undefined;
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const handle = await open(path, "wx");
          await handle.writeFile(holderText());
          await handle.close();
          return { release: () => unlink(path).catch(() => undefined), ...(tookOverFrom ? { tookOverFrom } : {}) };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
        const holder = parseHolder(await readFile(path, "utf8").catch(() => ""));
        if (holder && isHolderAlive(holder) && !sameHolder(holder, thisProcess())) throw heldBy(runId, holder);
        // Dead holder, a pid reused by another process, or a lease left by this very process: move it
        // aside atomically and try again.
        await rename(path, `${path}.stale-${process.pid}`).then(
          () => unlink(`${path}.stale-${process.pid}`),
          () => undefined,
        );
        if (holder) tookOverFrom = holder.pid;
      }
      throw new PehError("APPEND_CONFLICT", `could not take the lease of run ${runId}`, "try again");
    },
    async holder(runId) {
      const holder = parseHolder(await readFile(leasePath(runId), "utf8").catch(() => ""));
      return holder && { holder, alive: isHolderAlive(holder) };
    },
  };
}

/** How long a PostgreSQL run lease lasts without renewal, and how often it is renewed. */
export const RUN_LEASE_MS = 30_000;

/** The PostgreSQL store's leases: a row per run, renewed every third of its length while held. */
export function postgresLeases(leases: PostgresLeases, ttlMs = RUN_LEASE_MS): RunLeases {
  const name = (runId: RunId) => `run:${runId}`;
  return {
    async acquire(runId) {
      const mine = holderText();
      let held = await leases.acquire(name(runId), mine, ttlMs);
      let tookOverFrom: number | undefined;
      if (held) {
        const holder = parseHolder(held.holder);
        // A holder of this host that died needs no waiting for its lease to expire.
        if (held.alive && holder && (isHolderAlive(holder) || holder.host !== thisProcess().host)) throw heldBy(runId, holder);
        held = await leases.acquire(name(runId), mine, ttlMs, held.holder);
        if (held) throw holder ? heldBy(runId, holder) : new PehError("APPEND_CONFLICT", `could not take the lease of run ${runId}`, "try again");
        tookOverFrom = holder?.pid;
      }
      const renewal = setInterval(() => void leases.renew(name(runId), mine, ttlMs).catch(() => undefined), ttlMs / 3);
      renewal.unref();
      return {
        release: async () => {
          clearInterval(renewal);
          await leases.release(name(runId), mine).catch(() => undefined);
        },
        ...(tookOverFrom ? { tookOverFrom } : {}),
      };
    },
    async holder(runId) {
      const held = await leases.holding(name(runId));
      const holder = held && parseHolder(held.holder);
      if (!held || !holder) return undefined;
      return { holder, alive: held.alive && isHolderAlive(holder) };
    },
  };
}

/** Who drives the run now, for the views: the lease's holder and whether it still runs. */
export async function livenessOf(leases: RunLeases, runId: RunId): Promise<Liveness> {
  const held = await leases.holder(runId);
  if (!held) return { holder: null, alive: false };
  const { pid, host, started } = held.holder;
  return { holder: { pid, host, ...(started ? { started } : {}) }, alive: held.alive };
}
