// One orchestrator per run: a lease file (`runs/<run>/lease`) naming its holder: pid, host and
// start time (events/process-identity.ts). A second `peh run` on a live run is refused (exit 4,
// naming the holder); a lease whose holder died, or whose pid now belongs to another process, is
// taken over. The views read it too (`leaseHolder`), to tell a live run from a stopped one.
import { open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { PehError } from "../../events/index.js";
import type { Liveness } from "../../projections/status.js";
import { describeHolder, holderText, isHolderAlive, parseHolder, sameHolder, thisProcess, type Holder } from "../../events/adapters.js";

export interface Lease {
  release(): Promise<void>;
  /** The pid of a dead holder whose lease was taken over, if any. */
  tookOverFrom?: number;
}

const leasePath = (runDir: string) => join(runDir, "lease");

export async function acquireLease(runDir: string, runId: string): Promise<Lease> {
  const path = leasePath(runDir);
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
    if (holder && isHolderAlive(holder) && !sameHolder(holder, thisProcess())) {
      throw new PehError(
        "APPEND_CONFLICT",
        `run ${runId} is being run by another peh (${describeHolder(holder)})`,
        `wait for it, or stop it (kill ${holder.pid}${holder.host === thisProcess().host ? "" : ` on ${holder.host}`}); decisions and trust can be given meanwhile with peh decide / peh trust`,
      );
    }
    // Dead holder, a pid reused by another process, or a lease left by this very process: move it
    // aside atomically and try again.
    await rename(path, `${path}.stale-${process.pid}`).then(
      () => unlink(`${path}.stale-${process.pid}`),
      () => undefined,
    );
    if (holder) tookOverFrom = holder.pid;
  }
  throw new PehError("APPEND_CONFLICT", `could not take the lease of run ${runId}`, "try again");
}

/** Who holds the run's lease, and whether that process still runs; undefined when nobody does. */
export async function leaseHolder(runDir: string): Promise<{ holder: Holder; alive: boolean } | undefined> {
  const holder = parseHolder(await readFile(leasePath(runDir), "utf8").catch(() => ""));
  return holder && { holder, alive: isHolderAlive(holder) };
}

/** Who drives the run now, for the views: the lease's holder and whether it still runs. */
export async function livenessOf(runDir: string): Promise<Liveness> {
  const held = await leaseHolder(runDir);
  if (!held) return { holder: null, alive: false };
  const { pid, host, started } = held.holder;
  return { holder: { pid, host, ...(started ? { started } : {}) }, alive: held.alive };
}
