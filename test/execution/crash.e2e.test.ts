// Crash at every event boundary: SIGKILL `peh run` right after each append of an uninterrupted
// run's log, resume, and compare with the uninterrupted run: same final states, each task's side
// effect exactly once, the log gapless and parseable. (PEH_CRASH_AFTER_SEQ is the kill switch.)
import { cp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectSameEnd, processGone, runOutcome, untilGone } from "../support/crash.js";
import { workspace, type Workspace } from "../support/workspace.js";
import { sandboxOff } from "../support/sandbox.js";

const plan = [
  "objective: Count every step in count.txt",
  "tasks:",
  "  - { id: a, objective: Append a to count.txt, scope: workspace, run: 'echo a >> count.txt', acceptance_tests: ['grep -q a count.txt'] }",
  "  - { id: b, objective: Append b to count.txt, scope: workspace, depends_on: [a], run: 'echo b >> count.txt' }",
  "  - { id: c, objective: Append c to count.txt, scope: workspace, depends_on: [a], run: 'echo c >> count.txt' }",
  "  - { id: d, objective: Append d to count.txt, scope: workspace, depends_on: [b, c], run: 'echo d >> count.txt' }",
].join("\n");

const outcome = (ws: Workspace) => runOutcome(ws, "count.txt");

describe("crash at every event boundary", () => {
  it("resumes to the same end, each side effect once, whichever event the crash followed", { timeout: 300_000 }, async () => {
    // One workspace (runs are bound to their workspace's path): planned and approved once, its
    // store saved, then put back before every crash.
    const ws = await workspace();
    const saved = `${ws.path}-store`;
    const reset = async () => {
      await rm(join(ws.path, ".peh"), { recursive: true, force: true });
      await rm(join(ws.path, "count.txt"), { force: true });
      await cp(saved, join(ws.path, ".peh"), { recursive: true });
    };
    const crashedAfter = new Set<string>();
    try {
      await ws.write("plan.yaml", plan);
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      await cp(join(ws.path, ".peh"), saved, { recursive: true });
      expect(ws.peh("run", "--trust-root", ".", "--concurrency", "1").code).toBe(0);
      const expected = await outcome(ws);
      expect(expected.effects).toEqual(["a", "b", "c", "d"]);
      // Events 1-3 are the plan and its approval; the run appends the rest.
      for (let seq = 4; seq < expected.log.length; seq++) {
        await reset();
        ws.env.PEH_CRASH_AFTER_SEQ = String(seq);
        const crashed = ws.peh("run", "--trust-root", ".", "--concurrency", "1");
        expect(crashed.code, `run was not killed after seq ${seq}`).toBeNull();
        delete ws.env.PEH_CRASH_AFTER_SEQ;
        const resumed = ws.peh("run", "--trust-root", ".", "--concurrency", "1");
        expect(resumed.code, `resume after a crash at seq ${seq}: ${resumed.stderr}`).toBe(0);
        const after = await outcome(ws);
        expectSameEnd(after, expected, seq);
        crashedAfter.add(expected.log[seq - 1]!.type);
      }
      // At least once right after every distinct event type the run appends.
      expect([...crashedAfter].sort()).toEqual([...new Set(expected.log.slice(3, -1).map((e) => e.type))].sort());
    } finally {
      await rm(saved, { recursive: true, force: true });
      await ws.remove();
    }
  });
});

describe("crash while a non-idempotent task runs", () => {
  it("never re-runs it on its own: the resumed run escalates, and a human's retry runs it once", { timeout: 60_000 }, async () => {
    const ws = await workspace();
    try {
      await ws.write(
        "plan.yaml",
        [
          "objective: Pay once into ledger.txt",
          "tasks:",
          "  - { id: pay, objective: Append paid to ledger.txt, scope: workspace, idempotent: false, run: 'echo paid >> ledger.txt' }",
        ].join("\n"),
      );
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      // The append that records the worker running comes right before the process is spawned:
      // seq 3 is the approval, then 10 bootstrap events, TASK_READY, and the attempt's batch.
      const [runId] = await readdir(join(ws.path, ".peh", "runs"));
      ws.env.PEH_CRASH_AFTER_SEQ = "15";
      expect(ws.peh("run", "--trust-root", ".").code).toBeNull();
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      const crashed = (await ws.read(`.peh/runs/${runId}/events.jsonl`)).trimEnd().split("\n").map((l) => JSON.parse(l) as { type: string });
      expect(crashed.at(-1)?.type, "the crash must come right after the worker is recorded running").toBe("WORKER_RUNNING");

      const resumed = ws.peh("run", "--trust-root", ".");
      expect(resumed.code).toBe(3);
      expect(resumed.stdout).toContain("it is not idempotent (no process of it had been recorded: it had not started): a human decides");
      expect(resumed.stderr).toMatch(/peh decide r-\S+ --task pay retry\|skip\|abort/);
      expect(await ws.read("ledger.txt")).toBe(""); // not paid by the resumed run on its own
      expect(ws.peh("decide", "--task", "pay", "retry", "--as", "ana").code).toBe(0);
      expect(ws.peh("run", "--trust-root", ".").code).toBe(0);
      expect((await ws.read("ledger.txt")).trim().split("\n")).toEqual(["paid"]);
      const log = (await ws.read(`.peh/runs/${runId}/events.jsonl`)).trimEnd().split("\n").map((l) => JSON.parse(l) as { type: string; data: { reason?: string } });
      expect(log.filter((e) => e.type === "TASK_INTERRUPTED")).toHaveLength(1);
      expect(log.find((e) => e.type === "RECOVERY_ESCALATION")?.data.reason).toBe("interrupted and not idempotent: no process of it had been recorded: it had not started");
    } finally {
      await ws.remove();
    }
  });
});

/** Kills the `peh run` that holds the run (its pid is in the run's lease, a JSON line), from inside a task. */
const CRASH_PEH = `kill -9 $(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p' .peh/runs/*/lease)`;

/** A one-task plan, planned and approved, to run unsandboxed (its task kills peh); its run id. */
async function planned(ws: Workspace, task: Record<string, unknown>): Promise<string> {
  await sandboxOff(ws);
  await ws.write("plan.json", JSON.stringify({ objective: "Pay once into ledger.txt", tasks: [{ id: "pay", objective: "Append paid to ledger.txt", scope: "workspace", ...task }] }));
  expect(ws.peh("plan", "--from", "plan.json").code).toBe(0);
  expect(ws.peh("approve", "--as", "ana").code).toBe(0);
  return (await readdir(join(ws.path, ".peh", "runs")))[0]!;
}

const eventsOf = async (ws: Workspace, runId: string) =>
  (await ws.read(`.peh/runs/${runId}/events.jsonl`)).trimEnd().split("\n").map((l) => JSON.parse(l) as { type: string; data: { reason?: string } });

describe("crash while an acceptance test runs", () => {
  it("kills the orphaned check before the checks run again, so that they never overlap", { timeout: 60_000 }, async () => {
    const ws = await workspace();
    let orphan = 0;
    try {
      // The check's first run crashes peh and then goes on as an orphan; its second run passes.
      const check = `echo check >> checks.txt; if [ ! -f crashed ]; then touch crashed; echo $$ > orphan.pid; ${CRASH_PEH}; exec sleep 60; fi`;
      await planned(ws, { run: "echo paid >> ledger.txt", acceptance_tests: [check] });
      expect(ws.peh("run", "--trust-root", ".").code).toBeNull(); // killed from inside
      orphan = Number(await ws.read("orphan.pid"));
      expect(await processGone(orphan)).toBe(false);
      const resumed = ws.peh("run", "--trust-root", ".");
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await untilGone(orphan)).toBe(true);
      expect((await ws.read("checks.txt")).trim().split("\n")).toEqual(["check", "check"]);
      expect((await ws.read("ledger.txt")).trim().split("\n")).toEqual(["paid"]); // the command ran once
    } finally {
      if (orphan > 0 && !(await processGone(orphan))) process.kill(orphan, "SIGKILL");
      await ws.remove();
    }
  });
});

describe("crash while a non-idempotent task's process runs", () => {
  it("says its orphan was still running, and was killed", { timeout: 60_000 }, async () => {
    const ws = await workspace();
    let orphan = 0;
    try {
      const runId = await planned(ws, { idempotent: false, run: `if [ ! -f crashed ]; then touch crashed; echo $$ > orphan.pid; ${CRASH_PEH}; exec sleep 60; fi; echo paid >> ledger.txt` });
      expect(ws.peh("run", "--trust-root", ".").code).toBeNull();
      orphan = Number(await ws.read("orphan.pid"));
      const resumed = ws.peh("run", "--trust-root", ".");
      expect(resumed.code).toBe(3);
      expect(await untilGone(orphan)).toBe(true);
      const log = await eventsOf(ws, runId);
      expect(log.find((e) => e.type === "TASK_INTERRUPTED")?.data.reason).toBe("the orchestrator stopped while it ran; its process was still running, and was killed");
      expect(log.find((e) => e.type === "RECOVERY_ESCALATION")?.data.reason).toBe("interrupted and not idempotent: its process was still running, and was killed");
      expect(await ws.read("ledger.txt")).toBe("");
    } finally {
      if (orphan > 0 && !(await processGone(orphan))) process.kill(orphan, "SIGKILL");
      await ws.remove();
    }
  });

  it("says its orphan had already ended and may have done its work, in the log and the report", { timeout: 60_000 }, async () => {
    const ws = await workspace();
    try {
      // As quick as a process can be: it does its work and ends before peh could do anything more.
      const runId = await planned(ws, { idempotent: false, run: `echo paid >> ledger.txt; ${CRASH_PEH}` });
      expect(ws.peh("run", "--trust-root", ".").code).toBeNull();
      const [, pid] = /^pay#1 (\d+)$/m.exec(await ws.read(`.peh/runs/${runId}/attempts/pids`)) ?? [];
      expect(await untilGone(Number(pid))).toBe(true); // it ended before peh resumed
      expect(ws.peh("run", "--trust-root", ".").code).toBe(3);
      const reason = "the orchestrator stopped while it ran; its process had already ended, and may have done its work";
      expect((await eventsOf(ws, runId)).find((e) => e.type === "TASK_INTERRUPTED")?.data.reason).toBe(reason);
      expect(ws.peh("log").stdout).toContain(reason);
      expect(ws.peh("report").stdout).toContain(`interrupted: ${reason}`);
      expect((await ws.read("ledger.txt")).trim().split("\n")).toEqual(["paid"]);
    } finally {
      await ws.remove();
    }
  });
});

describe("crash while a task runs, then resume", () => {
  it("labels the attempt that follows RESUMED, not RETRY, and the report counts the interrupted attempt", { timeout: 60_000 }, async () => {
    const ws = await workspace();
    try {
      await ws.write("plan.yaml", ["objective: Append once to count.txt", "tasks:", "  - { id: a, objective: Append a to count.txt, scope: workspace, run: 'echo a >> count.txt' }"].join("\n"));
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      // Right after the worker is recorded running (see the test above): the process never started.
      ws.env.PEH_CRASH_AFTER_SEQ = "15";
      expect(ws.peh("run", "--trust-root", ".").code).toBeNull();
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      const resumed = ws.peh("run", "--trust-root", ".");
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/\[Task 1\/1 RESUMED\] ✓ a: \d+\.\ds/);
      expect(resumed.stdout).not.toContain("RETRY");
      expect(ws.peh("report").stdout).toMatch(/\| succeeded \| 2 \(1 interrupted\) \|/);
    } finally {
      await ws.remove();
    }
  });
});
