// `peh fork` (issue 22): a fork at every seq of the golden run has the state `peh replay --at`
// folds at that seq; a fork answered differently ends differently while the source's log stays
// byte-identical; a seq before the plan or past the end exits 2 and records nothing.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PehEventSchema, type PehEvent, type RunId } from "../../events/index.js";
import { runStateAt } from "../../projections/state-at.js";
import { statusOf } from "../../projections/status.js";
import { forkRun } from "../../runtime/lineage/fork.js";
import { readRun } from "../../runtime/store/read-run.js";
import { openStore } from "../../runtime/store/open.js";
import { peh } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const golden = fileURLToPath(new URL("../fixtures/golden/release.events.jsonl", import.meta.url));
let dir: { path: string; remove(): Promise<void> };
let events: PehEvent[];
let source: RunId;
let log: string;

beforeAll(async () => {
  const text = await readFile(golden, "utf8");
  events = text.trimEnd().split("\n").map((line) => PehEventSchema.parse(JSON.parse(line)));
  source = events[0]!.run_id;
  dir = await tempDir();
  log = join(dir.path, ".peh", "runs", source, "events.jsonl");
  await mkdir(join(dir.path, ".peh", "runs", source), { recursive: true });
  await writeFile(log, text);
});
afterAll(async () => dir.remove());

const hash = async () => createHash("sha256").update(await readFile(log)).digest("hex");
const cli = (args: string[]) => peh(["--store", join(dir.path, ".peh"), ...args], { cwd: dir.path, env: { TZ: "UTC" } });
const runs = async () => (await readdir(join(dir.path, ".peh", "runs"))).sort();

/** A status without what names the run: its id (also in the commands it suggests), its lineage. */
const comparable = (status: ReturnType<typeof statusOf>, id: string) => JSON.parse(JSON.stringify({ ...status, lineage: undefined }).replaceAll(id, "RUN")) as unknown;

describe("peh fork", () => {
  it("at every seq of the golden run: the forked run's state is the replay's at that seq, the source unchanged", async () => {
    const before = await hash();
    const store = openStore({ store: join(dir.path, ".peh") });
    for (const event of events) {
      const forked = await forkRun(store, source, event.seq);
      // Read back as any log is read: every event judged by the machines, the seals checked.
      const read = await readRun(store, forked.run_id);
      expect(read.events).toHaveLength(event.seq);
      expect(read.state.lineage).toEqual({ kind: "fork", source_run: source, at_seq: event.seq });
      expect(comparable(statusOf(read.state), forked.run_id), `seq ${event.seq}`).toEqual(comparable(statusOf(runStateAt(events, event.seq)), source));
    }
    expect(await hash()).toBe(before);
  });

  it("at the decision point, answered differently, ends differently; the source's log is byte-identical", async () => {
    const before = await hash();
    const escalation = events.find((e) => e.type === "RECOVERY_ESCALATION")!;
    const made = cli(["fork", source, "--at", String(escalation.seq), "--json"]);
    expect(made.code, made.stderr).toBe(0);
    const fork = (JSON.parse(made.stdout) as { run_id: string }).run_id;
    expect(cli(["decide", fork, "--task", "lint", "abort", "--as", "bo"]).code).toBe(0);
    cli(["run", fork]);
    const state = (id: string) => (JSON.parse(cli(["status", id, "--json"]).stdout) as { plan: { state: string } }).plan.state;
    expect(state(source)).toBe("completed");
    expect(state(fork)).toBe("aborted");
    expect(await hash()).toBe(before);
    expect(cli(["runs", "--descendants", source]).stdout).toContain(fork);
    expect(cli(["show", fork]).stdout).toContain(`forked from ${source} at event #${escalation.seq}`);
  });

  it.each([["0", /before run .*'s plan/], ["79", /past the end/], ["x", /whole number/]])("refuses --at %s with exit 2, recording nothing", async (seq, message) => {
    const before = await runs();
    const result = cli(["fork", source, "--at", seq]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await runs()).toEqual(before);
  });

  it("refuses an unknown run with exit 2", () => {
    const result = cli(["fork", "r-nope", "--at", "3"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no run "r-nope"/);
  });
});
