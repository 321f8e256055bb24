// Which run a command is about: the one named, a unique prefix of its id, `latest`, or (when none
// is named) the most recent that is not the worker service's. Light on purpose: every command
// that reads a run starts here.
import { PehError, SERVICE_PLANNER, type EventStore, type PehEvent, type RunId } from "../../events/index.js";
import type { RunSummary } from "../../events/store.js";
import { closest } from "../planning/validate.js";

/** The word that names the most recent run wherever a RUN is taken. */
export const LATEST = "latest";

/** How many candidates an ambiguous prefix lists before "… and N more". */
const LISTED = 8;

/**
 * The run `run` names: its exact id, `latest`, or a prefix of exactly one run's id (`r-20260115-14`);
 * without `run`, the most recent. A service run (`peh serve worker`) is never the default or
 * `latest`, though naming it works for every view. Asks the store's listing (two short reads per
 * run in the embedded store) and, from the newest back, a look at each run's first event, not the
 * run's log: naming a run with a long log costs nothing here.
 *
 * @example
 *   await resolveRunId(store, "r-2026011")   // the one run whose id starts so, else an error listing them
 */
export async function resolveRunId(store: EventStore, run?: string): Promise<RunId> {
  // Every run with a log, a damaged one too: naming it must lead to the damage, not to "no run".
  const runs = await store.listRuns();
  // An exact id wins over the word and over prefixes: a run is never mistaken for another.
  const exact = runs.find((summary) => summary.run_id === run);
  if (exact) return exact.run_id;
  if (run === undefined || run === LATEST) return mostRecent(store, runs);
  const matches = runs.filter((summary) => summary.run_id.startsWith(run)).map((summary) => summary.run_id);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    const listed = matches.slice(-LISTED).join(", ");
    const more = matches.length > LISTED ? ` and ${matches.length - LISTED} more` : "";
    throw new PehError("USAGE", `"${run}" is the start of ${matches.length} runs' ids: ${listed}${more}`, "give more of the run's id (`peh runs` lists them all)");
  }
  throw new PehError("RUN_NOT_FOUND", `there is no run "${run}" in this store`, didYouMean(run, runs) ?? "list the runs with `peh runs`, or pass --store DIR");
}

/** The run meant when none is named: the most recent that is not the worker service's. */
async function mostRecent(store: EventStore, runs: readonly RunSummary[]): Promise<RunId> {
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

/** A run whose id (or the start of it, as long as `run`) is a typo away from `run`. */
function didYouMean(run: string, runs: readonly RunSummary[]): string | undefined {
  const byStart = new Map<string, RunId>();
  // The most recent run wins a start that several share: it is the likeliest meant.
  for (const { run_id } of runs) byStart.set(run_id.slice(0, run.length), run_id);
  const near = closest(run, byStart.keys());
  return near === undefined ? undefined : `did you mean ${byStart.get(near)}? (\`peh runs\` lists every run)`;
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
