// Crash at every event boundary of a run whose budget its first agent task spends (issue 21):
// SIGKILL `peh run` right after each seq in turn (PEH_CRASH_AFTER_SEQ), resume until the run
// waits for a human, and compare with the uninterrupted run: the second task never started, one
// RUN_BUDGET_SPENT, the same states and the same spending, the log gapless. The boundaries that
// matter most: right after the report that spends the budget (the resumed run must add it up from
// the log and still stop), and right after RUN_BUDGET_SPENT itself (it must not start the task).
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { PehEvent } from "../../events/index.js";
import { runOutcome } from "../support/crash.js";
import { sandboxOff } from "../support/sandbox.js";
import { workspace, type Workspace } from "../support/workspace.js";
import { FULL, summary } from "./scale.js";

const fake = fileURLToPath(new URL("../fixtures/agents/fake-agent.mjs", import.meta.url));
// The fake Claude Code reports 3 turns: the first task spends the whole budget.
const plan = [
  "objective: Write notes within a budget",
  "budget: { turns: 3 }",
  "tasks:",
  "  - { id: notes, objective: Write notes.md, scope: workspace, agent: { cli: claude }, acceptance_tests: ['test -s notes.md'] }",
  "  - { id: more, objective: Write more notes, scope: workspace, depends_on: [notes], agent: { cli: claude }, acceptance_tests: ['test -s notes.md'] }",
]
  .join("\n");

/** `peh run` until the run waits for a human (exit 3), through any number of crashes. */
function runToHuman(ws: Workspace, crashAfter?: number): { crashed: boolean } {
  let crashed = false;
  for (let round = 0; round < 6; round++) {
    if (crashAfter !== undefined && !crashed) ws.env.PEH_CRASH_AFTER_SEQ = String(crashAfter);
    else delete ws.env.PEH_CRASH_AFTER_SEQ;
    const result = ws.peh("run", "--trust-root", ".", "--concurrency", "1", "--agent-command", `node ${fake} claude success`);
    if (result.code === null) {
      crashed = true;
      continue;
    }
    expect(result.code, result.stderr + result.stdout).toBe(3);
    return { crashed };
  }
  throw new Error("the run did not come to wait for a human in 6 rounds");
}

/** What must be the same however the run was interrupted. */
function endOf(log: PehEvent[], states: { state: string; tasks: Record<string, string> }) {
  const stop = log.filter((e) => e.type === "RUN_BUDGET_SPENT");
  return {
    ...states,
    started: [...new Set(log.filter((e) => e.type === "TASK_STARTED").map((e) => (e.data as { task_id: string }).task_id))],
    stops: stop.map((e) => ({ ...(e.data as object) })),
    gapless: log.every((e, i) => e.seq === i + 1),
  };
}

describe("torture › crash at every boundary of a run that spends its budget", () => {
  it("stops the next attempt after every crash as the uninterrupted run does", { timeout: 1_800_000 }, async () => {
    const ws = await workspace();
    await sandboxOff(ws);
    const saved = `${ws.path}-store`;
    const reset = async () => {
      for (const name of [".peh", "notes.md"]) await rm(join(ws.path, name), { recursive: true, force: true });
      await cp(saved, join(ws.path, ".peh"), { recursive: true });
    };
    const outcome = async () => {
      await ws.write("effects.txt", "");
      const { log, state, tasks } = await runOutcome(ws, "effects.txt");
      return endOf(log, { state, tasks });
    };
    try {
      await ws.write("plan.yaml", plan);
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      await cp(join(ws.path, ".peh"), saved, { recursive: true });
      runToHuman(ws);
      const expected = await outcome();
      expect(expected).toMatchObject({ state: "awaiting_decision", tasks: { notes: "succeeded", more: "awaiting_decision" }, started: ["notes"], gapless: true });
      expect(expected.stops).toEqual([{ task_id: "more", next_attempt: 1, budget: { turns: 3 }, spent: { usd: 0.0421, turns: 3 } }]);
      const { log } = await runOutcome(ws, "effects.txt");
      const spending = log.find((e) => e.type === "TASK_VERIFYING")!.seq;
      const stopped = log.find((e) => e.type === "RUN_BUDGET_SPENT")!.seq;
      expect(stopped).toBe(log.length);
      // Events 1-3 are the plan and its approval; the run appends the rest. Bounded: every 4th
      // of them and the two that matter most; full: every one.
      const boundaries = Array.from({ length: log.length - 3 }, (_, i) => i + 4).filter((seq, i) => FULL || i % 4 === 0 || seq === spending || seq === stopped);
      expect(boundaries).toContain(spending);
      expect(boundaries).toContain(stopped);
      for (const seq of boundaries) {
        await reset();
        const { crashed } = runToHuman(ws, seq);
        expect(crashed, `no crash after seq ${seq}`).toBe(true);
        expect(await outcome(), `crash after seq ${seq}`).toEqual(expected);
      }
      summary(`budget crash boundaries: ${boundaries.length}/${boundaries.length} stopped the next attempt as the uninterrupted run did (${FULL ? "every seq the run appends" : "every 4th seq, the spending report and the stop"} of ${log.length})`);
    } finally {
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      await rm(saved, { recursive: true, force: true });
      await ws.remove();
    }
  });
});
