// Which run a command is about. Light on purpose: every command that reads a run starts here.
import { PehError, RunIdSchema, SERVICE_PLANNER, type EventStore, type PehEvent, type RunId } from "../events/index.js";

/**
 * The run named, else the most recent that is not the worker service's (`peh serve worker`): a
 * service run is never another command's default, though naming it works for every view. Asks
 * the store's listing (two short reads per run in the embedded store) and, from the newest back,
 * a look at each run's first event, not the run's log: naming a run with a long log costs nothing.
 */
export async function resolveRunId(store: EventStore, run?: string): Promise<RunId> {
  const runs = await store.listRuns();
  if (run !== undefined) {
    const parsed = RunIdSchema.safeParse(run);
    if (!parsed.success || !runs.some((summary) => summary.run_id === parsed.data && summary.events > 0)) {
      throw new PehError("RUN_NOT_FOUND", `there is no run "${run}" in this store`, "list the runs with `peh runs`, or pass --store DIR");
    }
    return parsed.data;
  }
  if (runs.length === 0) throw new PehError("NO_RUNS", "this store has no runs yet", 'create one: peh plan --from plan.yaml, or peh plan "<objective>"');
  for (let i = runs.length - 1; i >= 0; i--) {
    const { run_id } = runs[i]!;
    if (!(await serviceRun(store, run_id))) return run_id;
  }
  throw new PehError(
    "NO_RUNS",
    `this store has no runs but the worker service's (${runs.map((summary) => summary.run_id).join(", ")})`,
    `name it to look at it (peh status ${runs.at(-1)!.run_id}), or create a run: peh plan --from plan.yaml`,
  );
}

/**
 * A service run's first event is small: its plan starts with no tasks. A longer first line is
 * not one, and is not read.
 */
const SERVICE_FIRST_EVENT_MAX = 64 * 1024;

/** The worker service's PLAN_CREATED if `runId` is a service run, else undefined. */
export async function serviceRun(store: EventStore, runId: RunId): Promise<Extract<PehEvent, { type: "PLAN_CREATED" }> | undefined> {
  const first = await firstEvent(store, runId).catch((error: unknown) => {
    // A damaged log is not a service run: the command that reads it says what is wrong.
    if (error instanceof PehError && error.code === "STORE_CORRUPT") return undefined;
    throw error;
  });
  return first?.type === "PLAN_CREATED" && first.data.planner === SERVICE_PLANNER ? first : undefined;
}

async function firstEvent(store: EventStore, runId: RunId): Promise<PehEvent | undefined> {
  if (store.readFirst) return store.readFirst(runId, SERVICE_FIRST_EVENT_MAX);
  return (await store.read(runId, { to: 1 }))[0];
}
