// Which run a command is about: the one named, a unique prefix of its id, `latest`, or (when none
// is named) the most recent. Light on purpose: every command that reads a run starts here.
import { PehError, type EventStore, type RunId } from "../events/index.js";
import type { RunSummary } from "../events/store.js";
import { closest } from "./planning/validate.js";

/** The word that names the most recent run wherever a RUN is taken. */
export const LATEST = "latest";

/** How many candidates an ambiguous prefix lists before "… and N more". */
const LISTED = 8;

/**
 * The run `run` names: its exact id, `latest`, or a prefix of exactly one run's id (`r-20260115-14`);
 * without `run`, the most recent. Asks the store's listing (two short reads per run in the embedded
 * store), not the run's log, so naming a run with a long log costs nothing here.
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
  if (run === undefined || run === LATEST) return mostRecent(runs);
  const matches = runs.filter((summary) => summary.run_id.startsWith(run)).map((summary) => summary.run_id);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    const listed = matches.slice(-LISTED).join(", ");
    const more = matches.length > LISTED ? ` and ${matches.length - LISTED} more` : "";
    throw new PehError("USAGE", `"${run}" is the start of ${matches.length} runs' ids: ${listed}${more}`, "give more of the run's id (`peh runs` lists them all)");
  }
  throw new PehError("RUN_NOT_FOUND", `there is no run "${run}" in this store`, didYouMean(run, runs) ?? "list the runs with `peh runs`, or pass --store DIR");
}

/** The run meant when none is named: the most recent of those a default may pick. */
function mostRecent(runs: readonly RunSummary[]): RunId {
  const latest = runs.at(-1);
  if (!latest) throw new PehError("NO_RUNS", "this store has no runs yet", 'create one: peh plan --from plan.yaml, or peh plan "<objective>"');
  return latest.run_id;
}

/** A run whose id (or the start of it, as long as `run`) is a typo away from `run`. */
function didYouMean(run: string, runs: readonly RunSummary[]): string | undefined {
  const byStart = new Map<string, RunId>();
  // The most recent run wins a start that several share: it is the likeliest meant.
  for (const { run_id } of runs) byStart.set(run_id.slice(0, run.length), run_id);
  const near = closest(run, byStart.keys());
  return near === undefined ? undefined : `did you mean ${byStart.get(near)}? (\`peh runs\` lists every run)`;
}
