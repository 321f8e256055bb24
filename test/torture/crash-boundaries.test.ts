// Crash at every event boundary of a 20-task plan with a diamond, a retry and a skip decision:
// SIGKILL `peh run` right after each seq in turn (PEH_CRASH_AFTER_SEQ), resume until it ends
// (deciding `skip` when the run asks, as the human of the reference run did), and compare with
// the uninterrupted run: same final states, each succeeded task's side effect exactly once, the
// log gapless and parseable. Bounded: every k-th seq; full: every seq. Then a write torn inside an
// append: at every byte of a two-event append (bounded: a sample of the bytes), the run resumes
// to the same end.
import { appendFile, cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PehEventSchema } from "../../events/index.js";
import { sealAppend } from "../../events/seal.js";
import { expectSameEnd, runOutcome } from "../support/crash.js";
import { workspace, type Workspace } from "../support/workspace.js";
import { FULL, summary } from "./scale.js";

const touch = (id: string) => `echo ${id} >> effects.txt`;
const tasks = [
  `  - { id: build, objective: Build dist/, scope: workspace, run: '${touch("build")}' }`,
  `  - { id: unit, objective: Run the unit tests, scope: workspace, depends_on: [build], run: '${touch("unit")}' }`,
  `  - { id: lint, objective: Lint the sources, scope: workspace, depends_on: [build], run: '${touch("lint")}' }`,
  `  - { id: package, objective: Package the build, scope: workspace, depends_on: [unit, lint], run: '${touch("package")}' }`,
  // Fails once with a transient error, then succeeds: a retry (side effect only on success).
  `  - { id: fetch, objective: Fetch deps.json, scope: workspace, run: "n=$(cat fetch.n 2>/dev/null || echo 0); echo $((n+1)) > fetch.n; if [ $n -lt 1 ]; then echo ECONNRESET >&2; exit 1; fi; ${touch("fetch")}" }`,
  // Always invalid input: escalates, and the human skips it.
  `  - { id: audit, objective: Audit the licenses, scope: workspace, run: "echo 'usage: audit DIR' >&2; exit 2" }`,
  `  - { id: report, objective: Write the report, scope: workspace, depends_on: [audit, package], run: '${touch("report")}' }`,
  ...Array.from({ length: 13 }, (_, i) => `  - { id: step${i + 1}, objective: Do step ${i + 1}, scope: workspace${i > 0 ? `, depends_on: [step${i}]` : ""}, run: '${touch(`step${i + 1}`)}' }`),
];
// The retry waits 300 ms: long enough that audit, next in the plan, always starts during the
// wait, however slow a loaded machine makes a turn. With 10 ms, a turn slower than the wait
// started fetch again first, and a crash run no longer followed the reference run's sequence.
const plan = ["objective: Release the app under torture", "recovery: { transient: { delays: [300ms] } }", "tasks:", ...tasks].join("\n");

const outcome = (ws: Workspace) => runOutcome(ws, "effects.txt");

/** `peh run` until the run ends, deciding skip whenever it waits for a decision. */
function runToEnd(ws: Workspace, crashAfter?: number): { crashed: boolean } {
  let crashed = false;
  for (let round = 0; round < 10; round++) {
    if (crashAfter !== undefined && !crashed) ws.env.PEH_CRASH_AFTER_SEQ = String(crashAfter);
    else delete ws.env.PEH_CRASH_AFTER_SEQ;
    const result = ws.peh("run", "--trust-root", ".", "--concurrency", "1");
    if (result.code === null) {
      crashed = true;
      continue;
    }
    if (result.code === 0) return { crashed };
    expect(result.code, result.stderr).toBe(3);
    expect(ws.peh("decide", "--task", "audit", "skip", "--as", "ana").code).toBe(0);
  }
  throw new Error("the run did not end in 10 rounds");
}

describe("torture › crash at every event boundary", () => {
  it("resumes to the same end as an uninterrupted run, whichever event the crash followed", { timeout: 3_600_000 }, async () => {
    const ws = await workspace();
    const saved = `${ws.path}-store`;
    const reset = async () => {
      for (const name of [".peh", "effects.txt", "fetch.n"]) await rm(join(ws.path, name), { recursive: true, force: true });
      await cp(saved, join(ws.path, ".peh"), { recursive: true });
    };
    try {
      await ws.write("plan.yaml", plan);
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      await cp(join(ws.path, ".peh"), saved, { recursive: true });
      runToEnd(ws);
      const expected = await outcome(ws);
      expect(expected.state).toBe("completed");
      expect(expected.tasks.audit).toBe("skipped");
      expect(expected.effects).toHaveLength(19);
      // Events 1-3 are the plan and its approval; the run appends the rest.
      const last = expected.log.length - 1;
      const every = FULL ? 1 : Math.ceil(last / 12);
      // A decision is appended by `peh decide`, not by the run: there is no run to kill after it.
      const byTheRun = (seq: number) => expected.log[seq - 1]!.type !== "DECISION_RECORDED";
      const boundaries = Array.from({ length: last - 3 }, (_, i) => i + 4).filter((seq, i) => byTheRun(seq) && (i % every === 0 || seq === last));
      let identical = 0;
      for (const seq of boundaries) {
        await reset();
        const { crashed } = runToEnd(ws, seq);
        expect(crashed, `no crash after seq ${seq}`).toBe(true);
        const after = await outcome(ws);
        expectSameEnd(after, expected, seq);
        identical++;
      }
      summary(`crash boundaries: ${identical}/${boundaries.length} resumed identically (${FULL ? "every seq the run appends" : `every ${every}th seq`} of ${last}, 20 tasks, a retry and a skip)`);
    } finally {
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      await rm(saved, { recursive: true, force: true });
      await ws.remove();
    }
  });

  it("ends a cancelled run the same way, whichever event of the cancel the crash followed", { timeout: 600_000 }, async () => {
    // A run killed while `slow` ran, with `wait`'s retry due tomorrow and `after` not started:
    // `peh cancel` (no peh run runs it) ends it itself. Crash it after each event it appends,
    // then `peh run` records the rest of the end.
    const ws = await workspace();
    const saved = `${ws.path}-store`;
    // effects.txt holds `a` from the run that the cancel follows; nothing the cancel does adds to it.
    const reset = async () => {
      await rm(join(ws.path, ".peh"), { recursive: true, force: true });
      await cp(saved, join(ws.path, ".peh"), { recursive: true });
    };
    try {
      await ws.write(
        "plan.yaml",
        [
          "objective: Release the app, then cancel it",
          "tasks:",
          `  - { id: a, objective: Build a, scope: workspace, run: '${touch("a")}' }`,
          `  - { id: wait, objective: Fetch deps.json, scope: workspace, run: "n=$(cat wait.n 2>/dev/null || echo 0); echo $((n+1)) > wait.n; if [ $n -lt 1 ]; then echo 'HTTP 503; Retry-After: 86400' >&2; exit 1; fi; ${touch("wait")}" }`,
          "  - { id: slow, objective: Run the slow step, scope: workspace, run: 'sleep 30' }",
          `  - { id: after, objective: Write the report, scope: workspace, depends_on: [slow], run: '${touch("after")}' }`,
        ].join("\n"),
      );
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      const run = ws.start(["run", "--trust-root", ".", "--concurrency", "1"]);
      const follow = ws.start(["log", "--follow"]);
      await follow.line(/WORKER_RUNNING \[Task 3\/4\] slow/);
      const [runId] = await readdir(join(ws.path, ".peh", "runs"));
      const pids = `.peh/runs/${runId}/attempts/pids`;
      // Killed once its process is recorded: the journal is how a later peh finds the orphan.
      for (let i = 0; i < 500 && !(await ws.read(pids)).includes("slow#1 "); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      run.kill("SIGKILL");
      await run.exit;
      follow.kill("SIGTERM");
      await follow.exit;
      // The orphaned `sleep 30` is stopped here, once: every cancel below starts from this store.
      for (const line of (await ws.read(pids)).trim().split("\n")) {
        const pid = Number(line.split(" ")[1]);
        try {
          if (line.startsWith("slow#1 ") && Number.isInteger(pid)) process.kill(-pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await cp(join(ws.path, ".peh"), saved, { recursive: true });
      const cancelled = ws.peh("cancel", "--as", "ana", "--reason", "moved to Monday");
      expect(cancelled.code, cancelled.stderr).toBe(0);
      const expected = await outcome(ws);
      expect(expected.state).toBe("aborted");
      expect(expected.tasks).toEqual({ a: "succeeded", wait: "skipped", slow: "skipped", after: "skipped" });
      expect(expected.effects).toEqual(["a"]);
      // The cancel's own append (RUN_CANCELLED and the skips of what has not run) is one write;
      // the ends of the orchestrator's appends after it are the boundaries (not the last: then
      // the run has ended).
      let first = expected.log.findIndex((e) => e.type === "RUN_CANCELLED") + 1;
      while (expected.log[first]?.type === "TASK_SKIPPED") first++;
      const boundaries = expected.log.slice(first, -1).map((e) => e.seq);
      expect(expected.log.slice(first).map((e) => e.type)).toEqual(["WORKER_FAILED", "TASK_INTERRUPTED", "TASK_SKIPPED", "EXECUTION_COMPLETE"]);
      let identical = 0;
      for (const seq of boundaries) {
        await reset();
        ws.env.PEH_CRASH_AFTER_SEQ = String(seq);
        expect(ws.peh("cancel", "--as", "ana", "--reason", "moved to Monday").code, `no crash after seq ${seq}`).toBeNull();
        delete ws.env.PEH_CRASH_AFTER_SEQ;
        const again = ws.peh("cancel", "--as", "ana");
        expect(again.code).toBe(2);
        // (A crash after an event inside a batch comes after the whole batch: the run may have ended.)
        expect(again.stderr).toMatch(/is already cancelled and being aborted|has already ended \(aborted\)/);
        expect(ws.peh("run", "--trust-root", ".").code).toBe(1);
        expectSameEnd(await outcome(ws), expected, seq);
        identical++;
      }
      summary(`cancel boundaries: ${identical}/${boundaries.length} ended identically (a run cancelled with a task caught running and a retry due tomorrow)`);
    } finally {
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      await rm(saved, { recursive: true, force: true });
      await ws.remove();
    }
  });

  it("resumes identically after a kill during an append (a torn last line)", { timeout: 600_000 }, async () => {
    const ws = await workspace();
    try {
      await ws.write("plan.yaml", plan);
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      const [runId] = await readdir(join(ws.path, ".peh", "runs"));
      const logFile = join(ws.path, ".peh", "runs", runId!, "events.jsonl");
      // Crash mid-run, then leave half of a next event at the end of the log, as a kill in the
      // middle of writing it would.
      ws.env.PEH_CRASH_AFTER_SEQ = "40";
      expect(ws.peh("run", "--trust-root", ".", "--concurrency", "1").code).toBeNull();
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      const before = (await readFile(logFile, "utf8")).trimEnd().split("\n");
      const torn = JSON.stringify({ ...JSON.parse(before.at(-1)!), seq: before.length + 1, id: `${runId}.${before.length + 1}` }).slice(0, 57);
      await appendFile(logFile, torn);
      runToEnd(ws);
      const after = await outcome(ws);
      expect(after.state).toBe("completed");
      expect(after.effects).toHaveLength(19);
      expect(after.log.map((e) => e.seq)).toEqual(after.log.map((_, i) => i + 1));
      expect((await readFile(logFile, "utf8")).includes(torn + "\n")).toBe(false);
      summary("torn write: the half-written event was dropped, and the run resumed to the same end");
    } finally {
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      await ws.remove();
    }
  });

  it("resumes to the same end after a write torn at any byte of a two-event append", { timeout: 3_600_000 }, async () => {
    const ws = await workspace();
    const planned = `${ws.path}-planned`;
    const crashed = `${ws.path}-crashed`;
    const restore = async (from: string) => {
      for (const name of [".peh", "effects.txt", "fetch.n"]) await rm(join(ws.path, name), { recursive: true, force: true });
      await cp(from, join(ws.path, ".peh"), { recursive: true });
    };
    try {
      await ws.write("plan.yaml", plan);
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      await cp(join(ws.path, ".peh"), planned, { recursive: true });
      const [runId] = await readdir(join(ws.path, ".peh", "runs"));
      const logFile = join(ws.path, ".peh", "runs", runId!, "events.jsonl");
      runToEnd(ws);
      const expected = await outcome(ws);
      // The first append of exactly two events that ends an attempt: WORKER_FINISHED and what the
      // task does next. Kept in half, the run believed a worker finished that never ran.
      const reference = (await readFile(logFile, "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line) as { seq: number; end: number; type: string });
      const first = reference.find((e, i) => e.type === "WORKER_FINISHED" && e.end === e.seq + 1 && reference[i - 1]!.end === e.seq - 1)!;
      expect(first, "no two-event append ending an attempt in the reference run").toBeDefined();
      const batch = reference.slice(first.seq - 1, first.seq + 1).map((e) => PehEventSchema.parse(e));
      // Crash right before that append, as the run made it.
      await restore(planned);
      ws.env.PEH_CRASH_AFTER_SEQ = String(first.seq - 1);
      expect(ws.peh("run", "--trust-root", ".", "--concurrency", "1").code).toBeNull();
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      await cp(join(ws.path, ".peh"), crashed, { recursive: true });
      const intact = await readFile(logFile);
      const chain = (JSON.parse(intact.toString("utf8").trimEnd().split("\n").at(-1)!) as { hash: string }).hash;
      const torn = Buffer.from(sealAppend(chain, batch).lines.join("\n") + "\n");
      const newline = torn.indexOf(0x0a);
      const cuts = FULL
        ? Array.from({ length: torn.length - 1 }, (_, i) => i + 1)
        : [...new Set([1, newline, newline + 1, newline + 2, ...Array.from({ length: 6 }, (_, i) => Math.round(((i + 1) * torn.length) / 7)), torn.length - 1])];
      let identical = 0;
      for (const cut of cuts) {
        await restore(crashed);
        await writeFile(logFile, Buffer.concat([intact, torn.subarray(0, cut)]));
        runToEnd(ws);
        expectSameEnd(await outcome(ws), expected, first.seq);
        identical++;
      }
      summary(`torn appends: ${identical}/${cuts.length} resumed identically (a write of the two-event append at seq ${first.seq} torn after ${FULL ? "every byte" : "a sample of the bytes"} of its ${torn.length})`);
    } finally {
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      await rm(planned, { recursive: true, force: true });
      await rm(crashed, { recursive: true, force: true });
      await ws.remove();
    }
  });
});
