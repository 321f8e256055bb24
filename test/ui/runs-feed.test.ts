// The runs' live list behind `peh ui`: each look at the store tells the runs that appeared or
// changed, and those gone (a run's directory removed by hand), with the list's new fingerprint.
import { copyFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { createRun } from "../../runtime/gate/gate.js";
import { RunsFeed, type RunsChange } from "../../runtime/ui/runs-feed.js";
import { tempDir } from "../support/temp-dir.js";

const release = fileURLToPath(new URL("../../examples/release.yaml", import.meta.url));
let dir: { path: string; remove(): Promise<void> };
let store: LowdbEventStore;
let feed: RunsFeed;

beforeEach(async () => {
  dir = await tempDir();
  await copyFile(release, join(dir.path, "release.yaml"));
  store = new LowdbEventStore(join(dir.path, ".peh"));
  feed = new RunsFeed(store, 20);
});
afterEach(async () => {
  feed.close();
  await store.close();
  await dir.remove();
});

/** The next change the feed tells, whatever it is. */
const nextChange = () =>
  new Promise<RunsChange>((resolve) => {
    const stop = feed.subscribe((change) => {
      stop();
      resolve(change);
    });
  });

describe("peh ui › the runs' feed", () => {
  it("tells a new run, then only the run that changed, then a run that is gone", async () => {
    const empty = await feed.current();
    expect(empty.runs).toEqual([]);
    const first = (await createRun(store, { workspace: dir.path, from: "release.yaml" })).run_id;
    const added = await nextChange();
    expect(added).toMatchObject({ changed: [{ run_id: first, state: "awaiting_approval", events: 2 }], removed: [] });
    expect(added.id).not.toBe(empty.id);
    const second = (await createRun(store, { workspace: dir.path, from: "release.yaml" })).run_id;
    const another = await nextChange();
    expect(another.changed.map((entry) => entry.run_id)).toEqual([second]);
    expect((await feed.current()).runs.map((entry) => entry.run_id)).toEqual([second, first]);
    await rm(join(dir.path, ".peh", "runs", first), { recursive: true });
    const gone = await nextChange();
    expect(gone).toMatchObject({ changed: [], removed: [first] });
    expect(feed.snapshot().runs.map((entry) => entry.run_id)).toEqual([second]);
  });
});
