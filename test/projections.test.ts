import { describe, expect, it } from "vitest";
import { isPehError, type PehEvent } from "../events/index.js";
import { decide } from "../machines/decider.js";
import { initialRunState, type RunState } from "../machines/run.js";
import { runView, stateAt, viewOf } from "../projections/index.js";
import type { CommandInput } from "../machines/commands.js";
import { renderReport } from "../projections/report.js";
import { AT, BOOTSTRAP, approve, create, finish, runTask, scheduleReady, tid } from "./support/fixtures.js";

/** A whole run of the diamond, with the live state captured after every command's events. */
function recordedRun() {
  const commands = [create(), approve(), ...BOOTSTRAP, scheduleReady, ...runTask("build"), scheduleReady, ...runTask("test"), ...runTask("lint"), scheduleReady, ...runTask("deploy"), finish];
  const log: PehEvent[] = [];
  const live = new Map<number, ReturnType<typeof viewOf>>();
  let state: RunState = initialRunState();
  for (const command of commands) {
    const decision = decide(state, command);
    log.push(...decision.events);
    state = decision.state;
    live.set(state.seq, viewOf(state));
  }
  return { log, live, final: state };
}

describe("projections › run view", () => {
  it("counts progress from the machines' states", () => {
    const { log } = recordedRun();
    const view = runView(log);
    expect(view.plan.state).toBe("completed");
    expect(view.progress).toMatchObject({ total: 4, succeeded: 4, failed: 0, pending: 0 });
    expect(view.workers.every((worker) => worker.state === "finished" && worker.trust?.source === "allowlist")).toBe(true);
  });
});

describe("projections › time travel", () => {
  it("replays to exactly the live state at every seq the run passed through", () => {
    const { log, live } = recordedRun();
    for (const [seq, view] of live) expect(stateAt(log, seq)).toEqual(view);
  });

  it("shows the plan awaiting approval right after the request, before anything ran", () => {
    const { log } = recordedRun();
    const view = stateAt(log, 2);
    expect(view.plan.state).toBe("awaiting_approval");
    expect(view.tasks.every((task) => task.state === "pending")).toBe(true);
  });

  it("refuses a seq beyond the log, saying which seqs exist", () => {
    const { log } = recordedRun();
    const error = (() => {
      try {
        stateAt(log, log.length + 1);
      } catch (caught) {
        return caught;
      }
    })();
    expect(isPehError(error, "USAGE")).toBe(true);
    expect((error as Error).message).toContain(`events 1 to ${log.length}`);
  });
});

describe("projections › report after a crash", () => {
  const attempt = (n: number) => [
    { type: "StartAttempt", at: AT, task_id: "build", cwd: "/w/app" },
    { type: "ResolveTrust", at: AT, worker_id: `build#${n}`, resolution: { source: "allowlist", root: "/w/app" } },
    { type: "MarkWorkerRunning", at: AT, worker_id: `build#${n}` },
  ] satisfies CommandInput[];
  const crashed: CommandInput[] = [create(), approve(), ...BOOTSTRAP, scheduleReady, ...attempt(1), { type: "InterruptTask", at: AT, task_id: "build", reason: "the orchestrator stopped while it ran" }, ...attempt(2), { type: "RecordExit", at: AT, task_id: "build", exit_code: 0 }, { type: "RecordVerification", at: AT, task_id: "build", evidence: [] }];

  it("counts the interrupted attempt, and never says the task succeeded on its first attempt", () => {
    let state = initialRunState();
    const log: PehEvent[] = [];
    for (const command of crashed) {
      const decision = decide(state, command);
      log.push(...decision.events);
      state = decision.state;
    }
    const report = renderReport(log);
    expect(report).toMatch(/\| \*\*build\*\* Compile to dist\/ \| succeeded \| 2 \(1 interrupted\) \|/);
    expect(report).toContain("**build** attempt 1 interrupted: the orchestrator stopped while it ran");
    expect(report).not.toContain("succeeded on its first attempt");
    expect(state.tasks.get(tid("build"))?.context.resumed).toBe(true);
  });
});
