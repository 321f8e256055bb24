// Checkpoints: a fold's state cached beside the log for read-only views. A view folded from a
// checkpoint must equal the fold of the whole log, and a checkpoint the log no longer vouches for
// (changed bytes, another fold, a damaged file, a shorter log) must never be used.
import { appendFile, readFile, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { syntheticLog } from "../../bench/synthetic.js";
import { LowdbEventStore } from "../../events/adapters.js";
import { PehEventSchema, RunIdSchema, isPehError, type PehEvent, type RunId } from "../../events/index.js";
import { foldRun } from "../../machines/fold/run.js";
import { runStateFromJson, runStateToJson } from "../../machines/fold/run-json.js";
import { approveRun, createRun } from "../../runtime/gate/gate.js";
import { Orchestrator } from "../../runtime/execution/orchestrator.js";
import { foldTag, viewStateOf } from "../../runtime/view-state.js";
import { peh } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const golden = fileURLToPath(new URL("../fixtures/golden/release.events.jsonl", import.meta.url));
let lines: string[];
let events: PehEvent[];
let runId: RunId;
let dir: { path: string; remove(): Promise<void> };
let store: LowdbEventStore;
const logFile = () => join(dir.path, "runs", runId, "events.jsonl");
const checkpointFile = () => join(dir.path, "runs", runId, "checkpoint.json");
const asJson = (state: ReturnType<typeof foldRun>) => JSON.parse(JSON.stringify(runStateToJson(state))) as unknown;

beforeEach(async () => {
  lines = (await readFile(golden, "utf8")).trimEnd().split("\n");
  events = lines.map((line) => PehEventSchema.parse(JSON.parse(line)));
  runId = events[0]!.run_id;
  dir = await tempDir();
  store = new LowdbEventStore(dir.path);
  await mkdir(join(dir.path, "runs", runId), { recursive: true });
});
afterEach(async () => dir.remove());

/** Writes the first `count` events of the golden run as its log. */
async function writeLog(count: number): Promise<void> {
  await writeFile(logFile(), lines.slice(0, count).join("\n") + "\n");
}

describe("a run's state through JSON", () => {
  it("restored at every seq of the golden run and folded on, equals the fold of the whole log", () => {
    const whole = asJson(foldRun(events));
    for (let seq = 0; seq <= events.length; seq++) {
      const restored = runStateFromJson(asJson(foldRun(events.slice(0, seq))));
      expect(restored, `seq ${seq}`).toBeDefined();
      expect(asJson(foldRun(events.slice(seq), restored!)), `restored at seq ${seq}`).toEqual(whole);
    }
  });

  it("keeps a rerun's lineage and what it takes over (the views say where a reused task came from)", () => {
    const created = events[0] as Extract<PehEvent, { type: "PLAN_CREATED" }>;
    const task_id = created.data.plan.tasks[0]!.id;
    const lineage = { kind: "rerun" as const, source_run: RunIdSchema.parse("r-source"), from_task: null, reused: [{ task_id, source_seq: 9, attempt: 1, duration_ms: 3, evidence: [] }] };
    const rerun = [{ ...created, data: { ...created.data, lineage } }, ...events.slice(1)];
    const whole = foldRun(rerun);
    for (const seq of [1, 2, rerun.length]) {
      const restored = runStateFromJson(asJson(foldRun(rerun.slice(0, seq))))!;
      expect(restored.lineage, `seq ${seq}`).toEqual(lineage);
      expect(restored.reuse, `seq ${seq}`).toEqual(whole.reuse);
      expect(asJson(foldRun(rerun.slice(seq), restored)), `restored at seq ${seq}`).toEqual(asJson(whole));
    }
  });

  it("refuses what is not a run state", () => {
    expect(runStateFromJson({ seq: "ten" })).toBeUndefined();
    expect(runStateFromJson(null)).toBeUndefined();
    const json = runStateToJson(foldRun(events));
    expect(runStateFromJson({ ...json, tasks: { ...json.tasks, statuses: json.tasks.statuses.slice(1) } })).toBeUndefined();
  });
});

describe("checkpoints of the lowdb store", () => {
  it("a view leaves one behind and the next view folds only the events after it", async () => {
    const half = Math.floor(events.length / 2);
    await writeLog(half);
    expect((await viewStateOf(store, runId, 1)).from_checkpoint).toBe(0);
    await appendFile(logFile(), lines.slice(half).join("\n") + "\n");
    const view = await viewStateOf(store, runId, Infinity);
    expect(view.from_checkpoint).toBe(half);
    expect(asJson(view.state)).toEqual(asJson(foldRun(events)));
  });

  it("is not used once a byte of the log it was made from changed", async () => {
    await writeLog(events.length);
    await viewStateOf(store, runId, 1);
    const changed = lines.map((line, i) => (i === 1 ? line.replace(/"at":"[^"]+"/, '"at":"2030-01-01T00:00:00.000Z"') : line));
    expect(changed[1]).not.toBe(lines[1]);
    await writeFile(logFile(), changed.join("\n") + "\n");
    expect(await store.readCheckpoint(runId, foldTag())).toBeUndefined();
    const view = await viewStateOf(store, runId, Infinity);
    expect(view.from_checkpoint).toBe(0);
  });

  it("is not used by another fold, when damaged, or when the log is shorter than it", async () => {
    await writeLog(events.length);
    await viewStateOf(store, runId, 1);
    expect(await store.readCheckpoint(runId, foldTag())).toBeDefined();
    expect(foldTag()).toMatch(/^fold-\d+-[0-9a-f]{16}$/);
    expect(await store.readCheckpoint(runId, "fold-of-another-peh")).toBeUndefined();
    await writeLog(events.length - 3);
    expect(await store.readCheckpoint(runId, foldTag())).toBeUndefined();
    await writeLog(events.length);
    await writeFile(checkpointFile(), (await readFile(checkpointFile(), "utf8")).slice(0, 100));
    expect(await store.readCheckpoint(runId, foldTag())).toBeUndefined();
    expect(asJson((await viewStateOf(store, runId, Infinity)).state)).toEqual(asJson(foldRun(events)));
  });

  it("reads the lines after it as every read does: a torn last line is left out, a bad one is damage", async () => {
    await writeLog(10);
    await viewStateOf(store, runId, 1);
    await appendFile(logFile(), lines.slice(10, 12).join("\n") + "\n" + lines[12]!.slice(0, 20));
    const torn = await store.readCheckpoint(runId, foldTag());
    expect(torn?.events.map((event) => event.seq)).toEqual([11, 12]);
    await writeFile(logFile(), lines.slice(0, 10).join("\n") + "\n" + "{not json}\n" + lines[11] + "\n");
    const error = await store.readCheckpoint(runId, foldTag()).catch((caught: unknown) => caught);
    expect(isPehError(error) && error.code).toBe("STORE_CORRUPT");
  });

  it("continues the log's chain of seals: a line edited after it is found with its seq, and it stands only between appends", async () => {
    await store.append(runId, events.slice(0, 10), 0);
    await store.append(runId, events.slice(10, 12), 10);
    await viewStateOf(store, runId, 1);
    await store.append(runId, events.slice(12, 15), 12);
    const read = await store.readCheckpoint(runId, foldTag());
    expect(read?.seq).toBe(12);
    expect(read?.events).toEqual(events.slice(12, 15));
    const sealed = (await readFile(logFile(), "utf8")).trimEnd().split("\n");
    sealed[13] = sealed[13]!.replace('"actor":"system"', '"actor":"mallory"');
    await writeFile(logFile(), sealed.join("\n") + "\n");
    await expect(store.readCheckpoint(runId, foldTag())).rejects.toThrow(/the line for seq 14 was edited/);
    await expect(store.saveCheckpoint(runId, { seq: 11, tag: foldTag(), state: {} })).rejects.toThrow(/seq 11 is inside an append that ends at seq 12/);
  });

  it("is refused for a seq the log does not hold yet", async () => {
    await writeLog(5);
    await expect(store.saveCheckpoint(runId, { seq: 6, tag: foldTag(), state: {} })).rejects.toThrow(/fewer than 6 events/);
  });
});

describe("peh status on a long run", () => {
  it("prints the same from a checkpoint as from the whole log, and leaves the checkpoint for the next view", async () => {
    const log = syntheticLog(600);
    const root = join(dir.path, "long");
    const run = join(root, "runs", log[0]!.run_id);
    await mkdir(run, { recursive: true });
    await writeFile(join(run, "events.jsonl"), log.map((event) => JSON.stringify(event)).join("\n") + "\n");
    const first = peh(["--store", root, "status", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const made = JSON.parse(await readFile(join(run, "checkpoint.json"), "utf8")) as { seq: number };
    expect(made.seq).toBe(log.length);
    const second = peh(["--store", root, "status", "--json"]);
    expect(second.stdout).toBe(first.stdout);
    expect(JSON.parse(first.stdout).seq).toBe(log.length);
  });
});

describe("peh runs", () => {
  it("leaves a checkpoint of each run that has ended, and lists the same from it", async () => {
    const done = syntheticLog(20, RunIdSchema.parse("r-done"));
    const open = syntheticLog(20, RunIdSchema.parse("r-open")).slice(0, 40);
    const root = join(dir.path, "many");
    for (const log of [done, open]) {
      await mkdir(join(root, "runs", log[0]!.run_id), { recursive: true });
      await writeFile(join(root, "runs", log[0]!.run_id, "events.jsonl"), log.map((event) => JSON.stringify(event)).join("\n") + "\n");
    }
    const first = peh(["--store", root, "runs", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const checkpoint = (id: string) => readFile(join(root, "runs", id, "checkpoint.json"), "utf8").then((text) => (JSON.parse(text) as { seq: number }).seq, () => undefined);
    expect(await checkpoint("r-done")).toBe(done.length);
    // One still under way may change at any moment: left to the views' usual rule.
    expect(await checkpoint("r-open")).toBeUndefined();
    expect(peh(["--store", root, "runs", "--json"]).stdout).toBe(first.stdout);
  });
});

describe("peh run", () => {
  it("leaves a checkpoint of the run as it stops, and the next view folds nothing", async () => {
    const workspace = join(dir.path, "workspace");
    await mkdir(workspace, { recursive: true });
    await writeFile(
      join(workspace, "plan.json"),
      JSON.stringify({
        objective: "Write three files",
        tasks: ["a", "b", "c"].map((id) => ({ id, objective: `Write ${id}.txt`, scope: "workspace", run: `echo ${id} > ${id}.txt`, acceptance_tests: [`test -f ${id}.txt`] })),
      }),
    );
    const runs = new LowdbEventStore(join(workspace, ".peh"));
    const created = await createRun(runs, { workspace, from: join(workspace, "plan.json") });
    await approveRun(runs, created.run_id, { actor: "ana", confirmations: [] });
    const outcome = await new Orchestrator({ store: runs, runId: created.run_id, concurrency: 2, wait: false, trustRoots: [workspace], progress: () => undefined, checkpointAfter: 1 }).execute();
    expect(outcome.kind).toBe("completed");
    const version = await runs.version(created.run_id);
    expect((await runs.readCheckpoint(created.run_id, foldTag()))?.seq).toBe(version);
    const view = await viewStateOf(runs, RunIdSchema.parse(created.run_id), Infinity);
    expect(view.from_checkpoint).toBe(version);
    expect(asJson(view.state)).toEqual(asJson(foldRun(await runs.read(created.run_id))));
  });
});
