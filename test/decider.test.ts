import { describe, expect, it } from "vitest";
import { entityState } from "../machines/run.js";
import { AT, BOOTSTRAP, approve, create, finish, runTask, scheduleReady, tid } from "./support/fixtures.js";
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
});
