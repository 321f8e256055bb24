// Append benchmarks on the embedded lowdb store: durable (fsync) appends, batched and single.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LowdbEventStore } from "../events/adapters.js";
import { PehEventSchema, RunIdSchema, type PehEvent, type RunId } from "../events/index.js";

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
