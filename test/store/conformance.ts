// The EventStore conformance suite: every adapter (in-memory, lowdb, later PostgreSQL) must pass it.
import { describe, expect, it } from "vitest";
import { RunIdSchema, isPehError, type EventStore } from "../../events/index.js";
import { GENESIS, sealAppend } from "../../events/seal.js";
import { storeEvents } from "../support/store-events.js";

export interface StoreHarness {
  store: EventStore;
  /** A second store instance on the same data, as another process would open it (if any). */
  reopen?: () => EventStore;
  cleanup(): Promise<void>;
}

const run = RunIdSchema.parse("r-conformance");
const other = RunIdSchema.parse("r-other");

async function expectConflict(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isPehError(error, "APPEND_CONFLICT"), `expected APPEND_CONFLICT, got ${String(error)}`).toBe(true);
}

export function describeEventStore(name: string, open: () => Promise<StoreHarness>): void {
  const withStore = (test: (harness: StoreHarness) => Promise<void>) => async () => {
    const harness = await open();
    try {
      await test(harness);
    } finally {
      await harness.store.close();
      await harness.cleanup();
    }
  };

  describe(`${name} event store › conformance`, () => {
    it("starts every run empty at version 0", withStore(async ({ store }) => {
      expect(await store.version(run)).toBe(0);
      expect(await store.read(run)).toEqual([]);
    }));

    it("appends with gapless seq and reads ranges back", withStore(async ({ store }) => {
      expect(await store.append(run, storeEvents(run, 1, 3), 0)).toEqual({ nextExpectedVersion: 3 });
      await store.append(run, storeEvents(run, 4, 2), 3);
      const all = await store.read(run);
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect((await store.read(run, { from: 2, to: 4 })).map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(await store.version(run)).toBe(5);
    }));

    it("refuses a stale expected version and appends nothing", withStore(async ({ store }) => {
      await store.append(run, storeEvents(run, 1, 2), 0);
      await expectConflict(store.append(run, storeEvents(run, 2, 1), 1));
      await expectConflict(store.append(run, storeEvents(run, 3, 1), 5));
      expect(await store.version(run)).toBe(2);
    }));

    it("refuses events whose seq would leave a gap", withStore(async ({ store }) => {
      const error = await store.append(run, storeEvents(run, 2, 1), 0).catch((caught: unknown) => caught);
      expect(isPehError(error, "EVENT_INVALID")).toBe(true);
      expect(await store.version(run)).toBe(0);
    }));

    it("lets exactly one of two racing appends win", withStore(async ({ store }) => {
      const results = await Promise.allSettled([
        store.append(run, storeEvents(run, 1, 1), 0),
        store.append(run, storeEvents(run, 1, 1), 0),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const rejected = results.find((r) => r.status === "rejected");
      expect(isPehError(rejected?.status === "rejected" ? rejected.reason : undefined, "APPEND_CONFLICT")).toBe(true);
      expect(await store.version(run)).toBe(1);
    }));

    it("seals every append as seal.ts does: the head is the chain through every event", withStore(async ({ store, reopen }) => {
      expect(await store.head!(run)).toEqual({ seq: 0, hash: GENESIS });
      await store.append(run, storeEvents(run, 1, 3), 0);
      await store.append(run, storeEvents(run, 4, 2), 3);
      const expected = sealAppend(sealAppend(GENESIS, storeEvents(run, 1, 3)).chain, storeEvents(run, 4, 2)).chain;
      expect(await store.head!(run)).toEqual({ seq: 5, hash: expected });
      const reader = reopen ? reopen() : store;
      expect(await reader.head!(run)).toEqual({ seq: 5, hash: expected });
      if (reader !== store) await reader.close();
    }));

    it("keeps runs apart and lists them", withStore(async ({ store }) => {
      await store.append(run, storeEvents(run, 1, 2), 0);
      await store.append(other, storeEvents(other, 1, 1), 0);
      const runs = await store.listRuns();
      expect(new Map(runs.map((r) => [r.run_id, r.events]))).toEqual(
        new Map([
          [run, 2],
          [other, 1],
        ]),
      );
      expect(await store.version(other)).toBe(1);
    }));

    it("follows a run: the events so far, then new ones as they land", withStore(async ({ store }) => {
      await store.append(run, storeEvents(run, 1, 2), 0);
      const abort = new AbortController();
      const seen: number[] = [];
      const following = (async () => {
        for await (const event of store.follow(run, { from: 2, signal: abort.signal })) {
          seen.push(event.seq);
          if (event.seq === 4) abort.abort();
        }
      })();
      await store.append(run, storeEvents(run, 3, 2), 2);
      await following;
      expect(seen).toEqual([2, 3, 4]);
    }));

    it("does not let a caller rewrite history by mutating what it appended or read", withStore(async ({ store }) => {
      const events = storeEvents(run, 1, 1);
      await store.append(run, events, 0);
      (events[0] as { actor: string }).actor = "mallory";
      const [read] = await store.read(run);
      // A stored event is frozen: changing it throws (strict mode) and never reaches the log.
      expect(() => ((read as { actor: string }).actor = "eve")).toThrow(TypeError);
      expect(() => ((read!.data as { task_id: string }).task_id = "eve")).toThrow(TypeError);
      expect((await store.read(run))[0]?.actor).toBe("system");
    }));

    it("holds 100k events, gapless, and reads them back", withStore(async ({ store, reopen }) => {
      const batch = 5_000;
      for (let from = 1; from <= 100_000; from += batch) {
        await store.append(run, storeEvents(run, from, batch), from - 1);
      }
      const reader = reopen ? reopen() : store;
      const all = await reader.read(run);
      expect(all).toHaveLength(100_000);
      expect(all.every((event, index) => event.seq === index + 1)).toBe(true);
      if (reader !== store) await reader.close();
    }));
  });
}
