// Lineage derived (issue 22): a run's log never changes, so which runs were rerun or forked from
// it is found in the others' first events (PLAN_CREATED's lineage).
import { isPehError, type EventStore, type Lineage, type RunId } from "../../events/index.js";

export interface Descendant {
  run_id: RunId;
  lineage: Lineage;
  /** How far from the run asked about: 1 for its own reruns and forks, 2 for theirs, … */
  depth: number;
}

/** Every run's lineage, by run (runs without one, or whose first event cannot be read, left out). */
export async function lineages(store: EventStore): Promise<Map<RunId, Lineage>> {
  const found = new Map<RunId, Lineage>();
  for (const { run_id } of await store.listRuns()) {
    const first = await store.read(run_id, { to: 1 }).catch((error: unknown) => {
      if (isPehError(error, "STORE_CORRUPT")) return [];
      throw error;
    });
    const created = first[0];
    if (created?.type === "PLAN_CREATED" && created.data.lineage) found.set(run_id, created.data.lineage);
  }
  return found;
}

/** The runs rerun or forked from `runId`, and theirs in turn, nearest first. */
export async function descendantsOf(store: EventStore, runId: RunId, known?: Map<RunId, Lineage>): Promise<Descendant[]> {
  const all = known ?? (await lineages(store));
  const out: Descendant[] = [];
  let frontier = new Set<RunId>([runId]);
  for (let depth = 1; frontier.size > 0; depth++) {
    const next = new Set<RunId>();
    for (const [id, lineage] of all) {
      if (frontier.has(lineage.source_run) && !out.some((d) => d.run_id === id) && id !== runId) {
        out.push({ run_id: id, lineage, depth });
        next.add(id);
      }
    }
    frontier = next;
  }
  return out;
}
