import { describe, expect, it } from "vitest";
import { isPehError, type PehEvent } from "../events/index.js";
import { decide } from "../machines/decider/decider.js";
import { initialRunState, type RunState } from "../machines/fold/run.js";
import { runView, stateAt, viewOf } from "../projections/index.js";
import type { CommandInput } from "../machines/decider/commands.js";
import { renderReport, reportOf } from "../projections/report.js";
import { statusOf } from "../projections/status.js";
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

describe("projections › status › who drives the run", () => {
  /** The diamond's state after the given commands. */
  const after = (...commands: Parameters<typeof decide>[1][]) => commands.reduce((state, command) => decide(state, command).state, initialRunState());
  const executing = () => after(create(), approve(), ...BOOTSTRAP, scheduleReady);
  const holder = { pid: 4242, host: "build-7", started: "2026-01-15T14:23:45.000Z" };

  it("names the live holder of a run under way", () => {
    expect(statusOf(executing(), { liveness: { holder, alive: true } }).orchestrator).toEqual({ state: "live", ...holder });
  });

  it("says a run under way with no live holder is stopped, with the command that resumes it", () => {
    for (const liveness of [{ holder: null, alive: false }, { holder, alive: false }]) {
      expect(statusOf(executing(), { liveness }).orchestrator).toEqual({ state: "stopped", command: "peh run r-test" });
    }
  });

  it("says nothing of a run that is not under way, or when the runtime did not say", () => {
    expect(statusOf(after(create()), { liveness: { holder: null, alive: false } }).orchestrator).toBeUndefined();
    expect(statusOf(recordedRun().final, { liveness: { holder: null, alive: false } }).orchestrator).toBeUndefined();
    expect("orchestrator" in statusOf(executing())).toBe(false);
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
    const report = renderReport(reportOf(log));
    expect(report).toMatch(/\| \*\*build\*\* Compile to dist\/ \| succeeded \| 2 \(1 interrupted\) \|/);
    expect(report).toContain("**build** attempt 1 interrupted: the orchestrator stopped while it ran");
    expect(report).not.toContain("succeeded on its first attempt");
    expect(state.tasks.get(tid("build"))?.context.resumed).toBe(true);
  });
});
