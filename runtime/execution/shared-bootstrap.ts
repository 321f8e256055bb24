// Many workers on one run: its bootstrap is done once, by whichever worker takes the run's lease
// (held only for the bootstrap); the others wait for its events, and one of them bootstraps
// instead if that worker dies meanwhile (its lease lapses, and a phase it left running is
// recorded failed and done again, as after any crash).
import { isPehError } from "../../events/index.js";
import { mayHandle } from "../../machines/memo/lite.js";
import { planMachine } from "../../machines/plan.js";
import { stateName } from "../../machines/fold/state-name.js";
import { placeOf } from "../store/place.js";
import type { RunContext } from "./attempt/run-context.js";
import { delay } from "./delay.js";
import type { GroupCommit } from "./group-commit.js";

const BEFORE_EXECUTING = new Set(["approved", "bootstrapping"]);

export async function bootstrapShared(run: RunContext, bootstrap: () => Promise<void>, log: GroupCommit): Promise<void> {
  const { store, runId, signal } = run.options;
  while (BEFORE_EXECUTING.has(stateName(run.state.plan.value)) && !signal?.aborted) {
    const lease = await placeOf(store).leases.acquire(runId).catch((error: unknown) => {
      if (isPehError(error, "APPEND_CONFLICT")) return undefined; // another worker bootstraps
      throw error;
    });
    if (lease) {
      try {
        await log.refresh();
        if (!mayHandle(planMachine, run.state.plan.value, "BOOTSTRAP_PHASE_STARTED")) return;
        await bootstrap();
      } finally {
        await lease.release();
      }
      continue;
    }
    // Its events wake this worker; a look now and then finds a lease that lapsed.
    const change = log.nextChange();
    const pause = delay(1_000, signal);
    await Promise.race([change.done, pause.done]);
    change.cancel();
    pause.cancel();
  }
}
