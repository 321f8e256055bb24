// Lineage derived (issue 22): a run's log never changes, so which runs were rerun or forked from
// it is found in the others' first events (PLAN_CREATED's lineage), each read alone: the rest of
// a log is never read for it (`peh runs` takes it from the state it folds anyway).
import { isPehError, type EventStore, type Lineage, type RunId } from "../../events/index.js";

export interface Descendant {
  run_id: RunId;
  lineage: Lineage;
  /** How far from the run asked about: 1 for its own reruns and forks, 2 for theirs, … */
  depth: number;
}

/**
 * A first event longer than this is read with the whole log instead: a rerun's PLAN_CREATED holds
 * its plan and the reused results' evidence, rarely more than a few kilobytes.
 */
const FIRST_EVENT_MAX = 1024 * 1024;

/** A run's lineage from its first event alone (the store's cheap look when it has one). */
export async function lineageOf(store: EventStore, runId: RunId): Promise<Lineage | undefined> {
  const created = (store.readFirst ? await store.readFirst(runId, FIRST_EVENT_MAX) : undefined) ?? (await store.read(runId, { to: 1 }))[0];
  return created?.type === "PLAN_CREATED" ? created.data.lineage : undefined;
}

/** Every run's lineage, by run (runs without one, or whose first event cannot be read, left out). */
export async function lineages(store: EventStore): Promise<Map<RunId, Lineage>> {
  const runs = (await store.listRuns()).map((summary) => summary.run_id);
  const read = new Array<Lineage | undefined>(runs.length);
  let next = 0;
  // Several at once: each look waits mostly on the file system (or the database).
  const reader = async () => {
    while (next < runs.length) {
      const i = next++;
      read[i] = await lineageOf(store, runs[i]!).catch((error: unknown) => {
        if (isPehError(error, "STORE_CORRUPT")) return undefined;
        throw error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, runs.length) }, reader));
  const found = new Map<RunId, Lineage>();
  runs.forEach((id, i) => read[i] && found.set(id, read[i]));
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
