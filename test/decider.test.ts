import { describe, expect, it } from "vitest";
import { RECHECK_NONE, entityState, initialRunState, recheckAlso, recheckedTasks, type RunState } from "../machines/fold/run.js";
import type { PlanFile } from "../events/index.js";
import type { CommandInput } from "../machines/decider/commands.js";
import { AT, BOOTSTRAP, approve, create, diamond, finish, planFile, runTask, scheduleReady, tid } from "./support/fixtures.js";
import { decide } from "../machines/decider/decider.js";
import { given } from "./support/decider-spec.js";

describe("decider › creating a plan", () => {
  it("records the plan and asks for approval, listing the risky task and its phrase", () => {
    const decision = given().when(create()).thenTypes("PLAN_CREATED", "GATE_APPROVAL_REQUESTED");
    const request = decision.events[1];
    expect(request?.type === "GATE_APPROVAL_REQUESTED" && request.data.risky_tasks).toEqual([
      { task_id: "deploy", phrase: "deploy to production" },
    ]);
    expect(decision.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(entityState(decision.state, "plan")).toBe("awaiting_approval");
  });

  it("refuses a second plan in the same run", () => {
    given([create()]).when(create()).thenThrows("ILLEGAL_TRANSITION", /already has a plan/);
  });
});

describe("decider › approving", () => {
  it("approves when every risky phrase is typed", () => {
    given([create()]).when(approve()).thenState("plan", "approved");
  });

  it("wants the phrase of a task that asks for a grant, and records the grants each phrase granted", () => {
    const asking = planFile({ ...diamond, tasks: diamond.tasks.map((t) => (t.id === "build" ? { ...t, network: true } : t)) });
    given([create(asking)]).when(approve(1, ["deploy to production"])).thenThrows("CONFIRMATION_MISSING", /missing: build \("build": asks for the network\)$/);
    const decision = given([create(asking)]).when(approve(1, ["deploy to production", "build"])).thenTypes("GATE_APPROVED");
    const event = decision.events[0];
    expect(event?.type === "GATE_APPROVED" && event.data.confirmations).toEqual([
      { task_id: "build", phrase: "build", grants: { network: true } },
      { task_id: "deploy", phrase: "deploy to production" },
    ]);
  });

  it("refuses a generic yes for a plan with a risky task, naming the phrase", () => {
    given([create()]).when(approve(1, ["yes"])).thenThrows("CONFIRMATION_MISSING", /deploy to production/);
  });

  it("refuses an approval of a version that is not the current one", () => {
    given([create()]).when(approve(2)).thenThrows("ILLEGAL_TRANSITION", /awaiting_approval/);
  });
});

describe("decider › executing", () => {
  const started = [[create(), approve()], BOOTSTRAP];

  it("makes ready only the tasks whose dependencies settled", () => {
    const decision = given(...started).when(scheduleReady).thenTypes("TASK_READY");
    expect(decision.events[0]?.entity).toBe("task:build");
  });

  it("starts no task before the plan is approved", () => {
    given([create()]).when(scheduleReady).thenTypes();
    given([create()])
      .when({ type: "StartAttempt", at: AT, task_id: "build", cwd: "/w/app" })
      .thenThrows("ILLEGAL_TRANSITION");
  });

  it("takes a worker through trust before it is ready for a prompt", () => {
    const decision = given(...started, [scheduleReady])
      .when({ type: "StartAttempt", at: AT, task_id: "build", cwd: "/w/app" })
      .thenTypes("TASK_STARTED", "WORKER_SPAWNING", "WORKER_TRUST_REQUIRED");
    expect(entityState(decision.state, "worker:build#1")).toBe("trust_required");
  });

  it("readies the dependents once their dependency succeeded", () => {
    const decision = given(...started, [scheduleReady], runTask("build")).when(scheduleReady).thenTypes("TASK_READY", "TASK_READY");
    expect(decision.events.map((e) => e.entity)).toEqual(["task:test", "task:lint"]);
  });

  it("asks, at its next turn, only the tasks whose machines moved since its last", () => {
    const asked = (state: RunState) => (state.recheck.all ? "every task" : recheckedTasks(state.recheck.ids));
    expect(asked(given(...started).state)).toBe("every task");
    // The turn readied build; then build ran and settled for its dependents. Deploy still waits
    // for two, and its machine did not move: the turn after asks it nothing.
    expect(asked(given(...started, [scheduleReady]).state)).toEqual(["build"]);
    expect(asked(given(...started, [scheduleReady], runTask("build")).state)).toEqual(["build", "test", "lint"]);
    expect(asked(given(...started, [scheduleReady], runTask("build"), [scheduleReady]).state)).toEqual(["test", "lint"]);
    // A turn while the plan waits readies nothing; once the plan executes, every task is asked.
    given([create(), scheduleReady, approve(), scheduleReady], BOOTSTRAP).when(scheduleReady).thenTypes("TASK_READY");
  });

  it("asks each task of a chain a few times in all, not once per turn (no quadratic scheduler)", () => {
    const n = 200;
    const chain = planFile({
      objective: "Build the 200 links of chain.js",
      tasks: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, objective: `Build s${i}.js`, scope: "workspace" as const, run: "true", acceptance_tests: ["true"], depends_on: i > 0 ? [`s${i - 1}`] : [] })),
    });
    let state = given([create(chain), approve(1, [])], BOOTSTRAP).state;
    let asked = 0;
    for (let i = 0; i < n; i++) {
      asked += state.recheck.all ? state.tasks.size : recheckedTasks(state.recheck.ids).length;
      state = decide(state, scheduleReady).state;
      expect(entityState(state, `task:s${i}`)).toBe("ready");
      for (const command of runTask(`s${i}`)) state = decide(state, command).state;
    }
    expect(entityState(state, `task:s${n - 1}`)).toBe("succeeded");
    // Asking every task at every turn would be n * n = 40,000.
    expect(asked).toBeLessThan(3 * n);
  });

  it("keeps no list longer than the run's tasks and a little slack: it asks every task instead", () => {
    let state: RunState = { ...initialRunState(), recheck: RECHECK_NONE };
    const lengths = Array.from({ length: 70 }, () => {
      state = { ...state, recheck: recheckAlso(state, tid("build")) };
      return state.recheck.all ? "every task" : state.recheck.length;
    });
    expect(lengths.slice(62, 66)).toEqual([63, 64, "every task", "every task"]);
  });

  it("completes the run when every task succeeded", () => {
    const decision = given(
      ...started,
      [scheduleReady],
      runTask("build"),
      [scheduleReady],
      runTask("test"),
      runTask("lint"),
      [scheduleReady],
      runTask("deploy"),
    )
      .when(finish)
      .thenTypes("EXECUTION_COMPLETE");
    expect(entityState(decision.state, "plan")).toBe("completed");
    expect(decision.state.tasks.get(tid("deploy"))?.value).toBe("succeeded");
  });

  it("refuses a gate action once the run runs or has ended, with a hint of what can be done", () => {
    given(...started).when(approve()).thenThrows("ILLEGAL_TRANSITION", /ApprovePlan refused/, /the plan is approved and runs: `peh status`/);
    const ended = given(...started, [scheduleReady], runTask("build"), [scheduleReady], runTask("test"), runTask("lint"), [scheduleReady], runTask("deploy"), [finish]);
    ended.when({ type: "RejectPlan", at: AT, actor: "bo", reason: "too late" }).thenThrows("ILLEGAL_TRANSITION", /RejectPlan refused/, /the run has ended \(completed\): start a new one with `peh plan`/);
  });
});

describe("decider › a change mid-run (PLAN_CHANGED)", () => {
  const afterBuild = [[create(), approve()], BOOTSTRAP, [scheduleReady], runTask("build")];
  const change = (edit: (plan: PlanFile) => PlanFile, confirmations: string[] = []): CommandInput => ({
    type: "ChangePlan",
    at: AT,
    actor: "ana",
    plan: edit(diamond),
    change: "edited mid-run",
    confirmations,
  });
  const withTasks = (plan: PlanFile, tasks: PlanFile["tasks"]) => planFile({ ...plan, tasks });

  it("adds a task whose dependency already succeeded: it becomes ready without waiting", () => {
    const notify = { ...diamond.tasks[1]!, id: tid("notify"), depends_on: [tid("build")] };
    const decision = given(...afterBuild).when(change((plan) => withTasks(plan, [...plan.tasks, notify]))).thenTypes("PLAN_CHANGED");
    const ready = given(...afterBuild, [change((plan) => withTasks(plan, [...plan.tasks, notify]))]).when(scheduleReady).thenTypes("TASK_READY", "TASK_READY", "TASK_READY");
    expect(ready.events.map((e) => e.entity)).toEqual(["task:test", "task:lint", "task:notify"]);
    expect(decision.events[0]?.type === "PLAN_CHANGED" && decision.events[0].data.settled).toEqual(["build"]);
  });

  it("drops a task that has not run: skipped (plan_changed) first, and the run still completes", () => {
    const dropLint = change((plan) =>
      withTasks(plan, plan.tasks.filter((t) => t.id !== "lint").map((t) => (t.id === "deploy" ? { ...t, depends_on: [tid("test")] } : t))),
    );
    given(...afterBuild, [scheduleReady]).when(dropLint).thenTypes("TASK_SKIPPED", "PLAN_CHANGED");
    const done = given(...afterBuild, [scheduleReady, dropLint, scheduleReady], runTask("test"), [scheduleReady], runTask("deploy"))
      .when(finish)
      .thenTypes("EXECUTION_COMPLETE");
    expect(entityState(done.state, "plan")).toBe("completed");
    expect(done.state.tasks.has(tid("lint"))).toBe(false);
  });

  it("re-wires a ready task back to pending until its new dependency settles", () => {
    const gate = { ...diamond.tasks[1]!, id: tid("gate"), depends_on: [tid("build")] };
    const lintAfterGate = change((plan) =>
      withTasks(plan, [...plan.tasks.map((t) => (t.id === "lint" ? { ...t, depends_on: [tid("gate")] } : t)), gate]),
    );
    const decision = given(...afterBuild, [scheduleReady, lintAfterGate]).when(scheduleReady).thenTypes("TASK_READY");
    expect(decision.events[0]?.entity).toBe("task:gate");
    expect(entityState(decision.state, "task:lint")).toBe("pending");
  });

  it("never changes or drops a task that already ran", () => {
    given(...afterBuild)
      .when(change((plan) => withTasks(plan, plan.tasks.map((t) => (t.id === "build" ? { ...t, run: "make" } : t)))))
      .thenThrows("ILLEGAL_TRANSITION", /task:build in state succeeded/);
    given(...afterBuild)
      .when(change((plan) => withTasks(plan, plan.tasks.filter((t) => t.id !== "build").map((t) => ({ ...t, depends_on: t.depends_on.filter((d) => d !== "build") })))))
      .thenThrows("ILLEGAL_TRANSITION", /build/);
  });

  describe("a task that failed and waits", () => {
    const testFailed: CommandInput[] = [
      scheduleReady,
      { type: "StartAttempt", at: AT, task_id: "test", cwd: "/w/app" },
      { type: "ResolveTrust", at: AT, worker_id: "test#1", resolution: { source: "allowlist", root: "/w/app" } },
      { type: "MarkWorkerRunning", at: AT, worker_id: "test#1" },
      { type: "RecordExit", at: AT, task_id: "test", exit_code: 2 },
      { type: "ClassifyFailure", at: AT, task_id: "test", class: "invalid_input", rule: "usage", evidence: "usage: test" },
      { type: "Recover", at: AT, task_id: "test", evidence: "usage", jitter: 0.5 },
    ];
    const fixTest = (edit: Partial<PlanFile["tasks"][number]>) => change((plan) => withTasks(plan, plan.tasks.map((t) => (t.id === "test" ? { ...t, ...edit } : t))));

    it("is fixed in place while it waits for a decision, and a human's retry runs the new definition", () => {
      const fixed = given(...afterBuild, testFailed).when(fixTest({ run: "npm test -- --fixed" })).thenTypes("PLAN_CHANGED");
      expect(entityState(fixed.state, "task:test")).toBe("awaiting_decision");
      expect(fixed.state.plan_spec?.tasks.find((t) => t.id === "test")?.run).toBe("npm test -- --fixed");
      const retry: CommandInput = { type: "RecordDecision", at: AT, actor: "ana", task_id: "test", decision: "retry" };
      given(...afterBuild, testFailed, [fixTest({ run: "npm test -- --fixed" }), retry])
        .when({ type: "StartAttempt", at: AT, task_id: "test", cwd: "/w/app" })
        .thenTypes("TASK_STARTED", "WORKER_SPAWNING", "WORKER_TRUST_REQUIRED");
    });

    it("adopts what the fix says about it: a task made non-idempotent gets no automatic retry", () => {
      const fixed = given(...afterBuild, testFailed, [fixTest({ idempotent: false })]);
      expect(fixed.state.tasks.get(tid("test"))?.context).toMatchObject({ idempotent: false, budget: expect.objectContaining({ transient: 0 }) });
    });

    it("may not be made to wait for a dependency that has not settled (it already ran)", () => {
      given(...afterBuild, testFailed)
        .when(fixTest({ depends_on: [tid("build"), tid("lint")] }))
        .thenThrows("ILLEGAL_TRANSITION", /task:test in state awaiting_decision/);
    });

    it("is never altered while it runs", () => {
      given(...afterBuild, testFailed.slice(0, 4))
        .when(fixTest({ run: "npm test -- --fixed" }))
        .thenThrows("ILLEGAL_TRANSITION", /task:test in state running/);
    });
  });

  it("needs the phrase of a risky task the change adds", () => {
    const wipe = { ...diamond.tasks[1]!, id: tid("wipe"), risky: true, confirm: "wipe staging" };
    const add = (phrases: string[]) => change((plan) => withTasks(plan, [...plan.tasks, wipe]), phrases);
    given(...afterBuild).when(add([])).thenThrows("CONFIRMATION_MISSING", /wipe staging/);
    given(...afterBuild).when(add(["wipe staging"])).thenTypes("PLAN_CHANGED");
  });

  it("needs the phrase of a task risky and approved before when the change widens its grants, naming what it adds", () => {
    const widen = (phrases: string[]) =>
      change((plan) => withTasks(plan, plan.tasks.map((t) => (t.id === "deploy" ? { ...t, network: true, writable: ["/srv/releases"] } : t))), phrases);
    given(...afterBuild)
      .when(widen([]))
      .thenThrows("CONFIRMATION_MISSING", /deploy \("deploy to production": now asks for the network; asks to write outside its scope: \/srv\/releases\)/);
    const confirmed = given(...afterBuild).when(widen(["deploy to production"])).thenTypes("PLAN_CHANGED");
    const event = confirmed.events[0];
    expect(event?.type === "PLAN_CHANGED" && event.data.confirmations).toEqual([
      { task_id: "deploy", phrase: "deploy to production", grants: { network: true, writable: ["/srv/releases"] } },
    ]);
    expect(confirmed.state.plan.context.granted).toContainEqual({ task_id: "deploy", phrase: "deploy to production", grants: { network: true, writable: ["/srv/releases"] } });
  });

  it("needs the phrase of a task that was not risky when the change makes it ask for a grant", () => {
    const offline = (phrases: string[]) => change((plan) => withTasks(plan, plan.tasks.map((t) => (t.id === "lint" ? { ...t, sandbox: "off" as const } : t))), phrases);
    given(...afterBuild).when(offline([])).thenThrows("CONFIRMATION_MISSING", /lint \("lint": now asks to run without the sandbox\)/);
    given(...afterBuild).when(offline(["lint"])).thenTypes("PLAN_CHANGED");
  });

  it("is not a way around the gate: before execution a change is refused", () => {
    given([create()]).when(change((plan) => plan)).thenThrows("ILLEGAL_TRANSITION");
  });
});

describe("decider › a human's word while the run executes", () => {
  const started = [[create(), approve()], BOOTSTRAP, [scheduleReady]];
  const attempt = (id: string, n: number, exit_code: number): CommandInput[] => [
    { type: "StartAttempt", at: AT, task_id: id, cwd: "/w/app" },
    { type: "ResolveTrust", at: AT, worker_id: `${id}#${n}`, resolution: { source: "allowlist", root: "/w/app" } },
    { type: "MarkWorkerRunning", at: AT, worker_id: `${id}#${n}` },
    { type: "RecordExit", at: AT, task_id: id, exit_code },
  ];
  const buildWaitsADay: CommandInput[] = [
    ...attempt("build", 1, 1),
    { type: "ClassifyFailure", at: AT, task_id: "build", class: "transient", rule: "http", evidence: "HTTP 503" },
    { type: "Recover", at: AT, task_id: "build", evidence: "HTTP 503", retry_after_ms: 86_400_000, jitter: 0.5 },
  ];
  const retry = (task_id = "build"): CommandInput => ({ type: "RecordDecision", at: AT, actor: "ana", task_id, decision: "retry" });
  const cancel: CommandInput = { type: "CancelRun", at: AT, actor: "ana", reason: "moved to Monday" };

  it("retry on a task whose retry waits for its due time runs it now (RECOVERY_EXPEDITED)", () => {
    const decision = given(...started, buildWaitsADay).when(retry()).thenTypes("RECOVERY_EXPEDITED");
    expect(decision.events[0]).toMatchObject({ actor: "ana", data: { next_attempt: 2, waived_due_at: "2026-01-16T14:23:45.000Z" } });
    expect(decision.state.tasks.get(tid("build"))?.context).toMatchObject({ due_at: null, retries: 0 });
    expect(entityState(decision.state, "plan")).toBe("executing");
  });

  it("retry on a task that neither waits for a decision nor for its retry is refused as before", () => {
    given(...started).when(retry("test")).thenThrows("ILLEGAL_TRANSITION", /DECISION_RECORDED is not allowed for task:test in state pending/);
    given(...started, buildWaitsADay, [retry()]).when(retry()).thenThrows("ILLEGAL_TRANSITION", /DECISION_RECORDED/);
  });

  it("cancel ends a run in which nothing runs: every task not settled is skipped, the outcome is aborted", () => {
    const decision = given(...started, runTask("build"), [scheduleReady]).when(cancel).thenTypes("RUN_CANCELLED", "TASK_SKIPPED", "TASK_SKIPPED", "TASK_SKIPPED", "EXECUTION_COMPLETE");
    expect(decision.events[0]).toMatchObject({ actor: "ana", data: { reason: "moved to Monday" } });
    expect(decision.events.at(-1)).toMatchObject({ data: { outcome: "aborted", counts: { succeeded: 1, skipped: 3 } } });
  });

  it("cancel while a task runs skips the rest and leaves the end to the run, which stops it", () => {
    const decision = given(...started, attempt("build", 1, 0).slice(0, 3)).when(cancel).thenTypes("RUN_CANCELLED", "TASK_SKIPPED", "TASK_SKIPPED", "TASK_SKIPPED");
    expect(entityState(decision.state, "plan")).toBe("aborting");
    expect(decision.state.plan.context.cancelled).toBe(true);
    const stopped = given(...started, attempt("build", 1, 0).slice(0, 3), [cancel, { type: "InterruptTask", at: AT, task_id: "build", reason: "the run was cancelled" }])
      .when(finish)
      .thenTypes("TASK_SKIPPED", "EXECUTION_COMPLETE");
    expect(entityState(stopped.state, "plan")).toBe("aborted");
  });

  it("cancel skips a task whose retry waits and one that waits for a decision", () => {
    const waiting = [...started, buildWaitsADay];
    given(...waiting).when(cancel).thenState("plan", "aborted");
  });

  it("cancel is refused before approval and once the run has ended", () => {
    given([create()]).when(cancel).thenThrows("ILLEGAL_TRANSITION", /RUN_CANCELLED is not allowed for plan in state awaiting_approval/);
    given(...started, [cancel]).when(cancel).thenThrows("ILLEGAL_TRANSITION", /in state aborted/, /the run has ended \(aborted\)/);
  });
});
