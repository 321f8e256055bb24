// Golden logs: a recorded run (test/fixtures/golden/*.events.jsonl, from a real `peh run` with a
// retry, an escalation decided `skip`, a mid-run change and a risky approval) rendered by each
// view and compared with the expected output beside it. `UPDATE_GOLDEN=1 npm test` rewrites the
// expected files; review the diff before committing it.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PehEventSchema, type PehEvent } from "../events/index.js";
import { evolve, initialRunState } from "../machines/fold/run.js";
import { runStateAt } from "../projections/state-at.js";
import { statusOf } from "../projections/status.js";
import { peh } from "./support/cli.js";
import { tempDir } from "./support/temp-dir.js";

const fixtures = fileURLToPath(new URL("./fixtures/golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

let store: string;
let events: PehEvent[];
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const text = await readFile(join(fixtures, "release.events.jsonl"), "utf8");
  events = text.trimEnd().split("\n").map((line) => PehEventSchema.parse(JSON.parse(line)));
  const dir = await tempDir();
  cleanup = dir.remove;
  store = join(dir.path, ".peh");
  await mkdir(join(store, "runs", events[0]!.run_id), { recursive: true });
  await writeFile(join(store, "runs", events[0]!.run_id, "events.jsonl"), text);
});
afterAll(async () => cleanup());

// The text views print times in the reader's zone (TZ), labelled: the expected files are in UTC.
const view = (args: string[]) => peh(["--store", store, ...args], { env: { TZ: "UTC" } });

async function golden(name: string, actual: string): Promise<void> {
  const file = join(fixtures, name);
  if (update) await writeFile(file, actual);
  expect(actual, `${name} differs from the golden file (UPDATE_GOLDEN=1 to rewrite it after review)`).toBe(await readFile(file, "utf8"));
}

const views: [string, string[]][] = [
  ["release.log.txt", ["log"]],
  ["release.log.jsonl", ["log", "--json"]],
  ["release.status.txt", ["status"]],
  ["release.status.json", ["status", "--json"]],
  ["release.replay-30.txt", ["replay", "--at", "30"]],
  ["release.report.md", ["report"]],
  ["release.runs.txt", ["runs"]],
];

describe("golden logs", () => {
  it.each(views)("%s is what `peh %s` prints for the recorded run", async (name, args) => {
    const result = view(args);
    expect(result.code, result.stderr).toBe(0);
    await golden(name, result.stdout);
  });

  it("the log view lists every event once, in order, and the report every task the log shows", () => {
    const lines = view(["log", "--json"]).stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as { seq: number; event: string });
    expect(lines.map((line) => line.seq)).toEqual(events.map((event) => event.seq));
    expect(lines.map((line) => line.event)).toEqual(events.map((event) => event.type));
    const report = view(["report"]).stdout;
    const tasks = [...new Set(events.flatMap((e) => ("task_id" in e.data ? [String(e.data.task_id)] : [])))];
    for (const task of tasks) expect(report).toContain(`**${task}**`);
  });

  it("replay --at SEQ equals the live state at that seq, for every seq of the recorded run", () => {
    const live = initialRunState();
    for (const event of events) {
      evolve(live, event); // what a live follower holds right after the event
      expect(statusOf(runStateAt(events, event.seq)), `replay --at ${event.seq}`).toEqual(statusOf(live));
    }
  });

  it("graph --run highlights the states the run's machines are in", () => {
    const tasks = view(["graph", "task", "--run", "latest"]);
    expect(tasks.code, tasks.stderr).toBe(0);
    expect(tasks.stdout).toContain("class succeeded current");
    expect(tasks.stdout).toContain("class skipped current");
    expect(tasks.stdout).not.toContain("class pending current");
    expect(view(["graph", "plan", "--run", events[0]!.run_id]).stdout).toContain("class completed current");
  });

  it("prints every time in the reader's zone (TZ) with its offset, while --json keeps ISO-8601 UTC", () => {
    const kolkata = (args: string[]) => peh(["--store", store, ...args], { env: { TZ: "Asia/Kolkata" } }).stdout;
    const first = events[0]!.at; // 2026-11-23T20:58:16Z, 02:28:16 the next day in Kolkata (UTC+05:30)
    expect(kolkata(["log"]).split("\n")[0]).toMatch(/^2026-11-24 02:28:16 UTC\+05:30 PLAN_CREATED /);
    expect(kolkata(["status"])).toContain("last at 2026-11-24 02:28:18 UTC+05:30");
    expect(kolkata(["runs"])).toContain("2026-11-24 02:28:18 UTC+05:30");
    expect(kolkata(["replay", "--at", "1"])).toContain("PLAN_CREATED at 2026-11-24 02:28:16 UTC+05:30");
    expect(kolkata(["report"])).toContain("approved (version 1) by ana at 2026-11-24 02:28:16 UTC+05:30");
    expect(kolkata(["show"])).toMatch(/^  2026-11-24 02:28:1\d UTC\+05:30  v1 /m);
    expect((JSON.parse(kolkata(["log", "--json"]).split("\n")[0]!) as { timestamp: string }).timestamp).toBe(first);
    expect((JSON.parse(kolkata(["status", "--json"])) as { at: string }).at).toBe(events.at(-1)!.at);
  });

  it("replay --at 0 says the run has no plan yet; state names read as words", () => {
    const before = view(["replay", "--at", "0"]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toContain(`Run ${events[0]!.run_id} has no plan yet at event #0: its plan is recorded at event #1 (PLAN_CREATED).`);
    expect(before.stdout).not.toMatch(/null|undefined/);
    const json = JSON.parse(view(["replay", "--at", "0", "--json"]).stdout) as { run_id: string };
    expect(json.run_id).toBe(events[0]!.run_id);
    expect(view(["replay", "--at", "3"]).stdout).toContain("Bootstrap: cli entry: pending");
  });

  it("replay --at beyond the log is a clear error (exit 2)", () => {
    const result = view(["replay", "--at", String(events.length + 1)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`outside this run's log, which holds events 1 to ${events.length}`);
  });
});
