// One orchestrator per run: a lease file holding the holder's pid. A second `peh run` on a live
// run is refused (exit 4, naming the pid); a lease whose holder died is taken over.
import { open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { PehError } from "../../events/index.js";
import { isProcessAlive } from "../../events/adapters.js";

export interface Lease {
  release(): Promise<void>;
  /** The pid of a dead holder whose lease was taken over, if any. */
  tookOverFrom?: number;
}

export async function acquireLease(runDir: string, runId: string): Promise<Lease> {
  const path = join(runDir, "lease");
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => unlink(path).catch(() => undefined), ...(tookOverFrom ? { tookOverFrom } : {}) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && isProcessAlive(holder) && holder !== process.pid) {
      throw new PehError(
        "APPEND_CONFLICT",
        `run ${runId} is being run by another peh (pid ${holder})`,
        `wait for it, or stop it (kill ${holder}); decisions and trust can be given meanwhile with peh decide / peh trust`,
      );
    }
    // Dead holder (or a lease left by this very pid): move it aside atomically and try again.
    await rename(path, `${path}.stale-${process.pid}`).then(
      () => unlink(`${path}.stale-${process.pid}`),
      () => undefined,
    );
    if (Number.isInteger(holder)) tookOverFrom = holder;
  }
  throw new PehError("APPEND_CONFLICT", `could not take the lease of run ${runId}`, "try again");
}

/** The pid of the live process that holds the run's lease (a `peh run` executing it), if any. */
export async function leaseHolder(runDir: string): Promise<number | undefined> {
  const holder = Number.parseInt(await readFile(join(runDir, "lease"), "utf8").catch(() => ""), 10);
  return Number.isInteger(holder) && holder !== process.pid && isProcessAlive(holder) ? holder : undefined;
}
