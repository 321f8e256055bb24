// Which run a command is about. Light on purpose: every command that reads a run starts here.
import { PehError, RunIdSchema, type EventStore, type RunId } from "../events/index.js";

/**
 * The run named, else the most recent. Asks the store's listing (two short reads per run in the
 * embedded store), not the run's log, so naming a run with a long log costs nothing here.
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
  const latest = runs.at(-1);
  if (!latest) throw new PehError("NO_RUNS", "this store has no runs yet", 'create one: peh plan --from plan.yaml, or peh plan "<objective>"');
  return latest.run_id;
}
