// Append benchmarks on the embedded lowdb store: durable (fsync) appends, batched and single; and
// what sealing costs a read: a sealed log read (parsed, validated, every seal checked) beside the
// same events written as logs were before seals.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LowdbEventStore } from "../events/adapters.js";
import { PehEventSchema, RunIdSchema, type PehEvent, type RunId } from "../events/index.js";
import { syntheticLog } from "./synthetic.js";

function events(runId: RunId, from: number, count: number): PehEvent[] {
  return Array.from({ length: count }, (_, i) =>
    PehEventSchema.parse({
      id: `${runId}.${from + i}`,
      run_id: runId,
      seq: from + i,
      at: new Date(Date.UTC(2026, 0, 15) + from + i).toISOString(),
      actor: "system",
      entity: "task:build",
      type: "TASK_READY",
      data: { task_id: "build" },
    }),
  );
}

async function withStore<T>(work: (store: LowdbEventStore) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-"));
  try {
    return await work(new LowdbEventStore(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Durable appends in batches of `batch`: events per second. */
export async function appendEventsPerSecond(total: number, batch: number): Promise<number> {
  return withStore(async (store) => {
    const run = RunIdSchema.parse("r-append");
    const batches = Array.from({ length: total / batch }, (_, b) => events(run, b * batch + 1, batch));
    const start = performance.now();
    for (const [b, list] of batches.entries()) await store.append(run, list, b * batch);
    return total / ((performance.now() - start) / 1000);
  });
}

/** Time of `count` single-event durable appends to a run that already holds `size` events. */
async function singleAppendsMs(store: LowdbEventStore, run: RunId, size: number, count: number): Promise<number> {
  for (let from = 1; from <= size; from += 5_000) {
    await store.append(run, events(run, from, Math.min(5_000, size - from + 1)), from - 1);
  }
  await store.version(run); // opened and loaded before the clock starts
  const next = events(run, size + 1, count);
  const start = performance.now();
  for (const [i, event] of next.entries()) await store.append(run, [event], size + i);
  return performance.now() - start;
}

/**
 * 1,000 single appends to a 100k-event log ÷ the same to a 1k-event log, measured alternately
 * in one process (median of rounds): an append must not cost more as the log grows.
 */
export async function appendRatio(big: number, small: number, count: number, rounds: number): Promise<number> {
  const ratios: number[] = [];
  await withStore(async (store) => {
    for (let round = 0; round < rounds; round++) {
      const smallMs = await singleAppendsMs(store, RunIdSchema.parse(`r-small-${round}`), small, count);
      const bigMs = await singleAppendsMs(store, RunIdSchema.parse(`r-big-${round}`), big, count);
      ratios.push(bigMs / smallMs);
    }
  });
  return median(ratios);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Reads of a log of `tasks` synthetic tasks (10 events each) by a fresh store, best of `rounds`:
 * events per second, sealed (as peh writes logs now, in appends of 10) and plain (as before).
 */
export async function readEventsPerSecond(tasks: number, rounds: number): Promise<{ sealed: number; plain: number }> {
  const log = syntheticLog(tasks);
  const run = log[0]!.run_id;
  return withStore(async (store) => {
    for (let from = 0; from < log.length; from += 10) await store.append(run, log.slice(from, from + 10), from);
    const plainDir = join(store.dir, "plain");
    await mkdir(join(plainDir, "runs", run), { recursive: true });
    await writeFile(join(plainDir, "runs", run, "events.jsonl"), log.map((event) => JSON.stringify(event) + "\n").join(""));
    const best = { sealed: 0, plain: 0 };
    for (let round = 0; round < rounds; round++) {
      for (const [kind, dir] of [["sealed", store.dir], ["plain", plainDir]] as const) {
        const start = performance.now();
        const read = await new LowdbEventStore(dir).read(run);
        best[kind] = Math.max(best[kind], read.length / ((performance.now() - start) / 1000));
      }
    }
    return best;
  });
}
