// Recovery recipes (DESIGN §6): the decider follows the policy of the failure's class; the task
// machine refuses an automatic retry beyond the budget; a human's retry resets it.
import { describe, expect, it } from "vitest";
import type { FailureClass, PlanFile } from "../events/index.js";
import type { CommandInput } from "../machines/decider/commands.js";
import { DEFAULT_RECOVERY, MAX_DURATION_MS, durationToMs, policyFor, retryDelayMs } from "../machines/recovery.js";
import { entityState } from "../machines/fold/run.js";
import { given } from "./support/decider-spec.js";
import { AT, BOOTSTRAP, approve, create, diamond, planFile, runTask, scheduleReady, tid } from "./support/fixtures.js";
import { ledgerOf } from "../projections/status.js";

/** One failed attempt of `id`, classified as `klass`. */
function failed(id: string, attempt: number, klass: FailureClass): CommandInput[] {
  return [
    { type: "StartAttempt", at: AT, task_id: id, cwd: "/w/app" },
    { type: "ResolveTrust", at: AT, worker_id: `${id}#${attempt}`, resolution: { source: "allowlist", root: "/w/app" } },
    { type: "MarkWorkerRunning", at: AT, worker_id: `${id}#${attempt}` },
    { type: "RecordExit", at: AT, task_id: id, exit_code: 1 },
    { type: "ClassifyFailure", at: AT, task_id: id, class: klass, rule: "r", evidence: "e" },
  ];
}
const recover = (id: string, extra: Partial<Extract<CommandInput, { type: "Recover" }>> = {}): CommandInput => ({ type: "Recover", at: AT, task_id: id, evidence: "ECONNRESET", jitter: 0.5, ...extra });
const started = (plan: PlanFile = diamond) => [[create(plan), approve()], BOOTSTRAP, [scheduleReady]];

describe("recovery › the default recipes", () => {
  it("transient: retries twice, waiting 5 s then 30 s, then a human decides", () => {
    const first = given(...started(), failed("build", 1, "transient")).when(recover("build")).thenTypes("RECOVERY_ATTEMPTED");
    expect(first.events[0]?.data).toMatchObject({ next_attempt: 2, delay_ms: 5_000, due_at: "2026-01-15T14:23:50.000Z" });
    const second = given(...started(), failed("build", 1, "transient"), [recover("build")], failed("build", 2, "transient"))
      .when(recover("build"))
      .thenTypes("RECOVERY_ATTEMPTED");
    expect(second.events[0]?.data).toMatchObject({ next_attempt: 3, delay_ms: 30_000 });
    const third = given(...started(), failed("build", 1, "transient"), [recover("build")], failed("build", 2, "transient"), [recover("build")], failed("build", 3, "transient"))
      .when(recover("build"))
      .thenTypes("RECOVERY_ESCALATION");
    expect(third.events[0]?.data).toMatchObject({ class: "transient", reason: expect.stringMatching(/2 of 2 automatic retries used/), choices: ["retry", "skip", "abort"] });
    expect(entityState(third.state, "plan")).toBe("awaiting_decision");
    // Meanwhile a refused action points at the decision the run waits for.
    given(...started(), failed("build", 1, "transient"), [recover("build")], failed("build", 2, "transient"), [recover("build")], failed("build", 3, "transient"), [recover("build")])
      .when(approve())
      .thenThrows("ILLEGAL_TRANSITION", /ApprovePlan refused/, /a failed task waits for a decision: `peh status` names it/);
  });

  it("logic_error: one retry, then escalate", () => {
    given(...started(), failed("build", 1, "logic_error")).when(recover("build")).thenTypes("RECOVERY_ATTEMPTED");
    given(...started(), failed("build", 1, "logic_error"), [recover("build")], failed("build", 2, "logic_error")).when(recover("build")).thenTypes("RECOVERY_ESCALATION");
  });

  it("permission: PERMISSION_REQUIRED, no retry; invalid_input, unrecoverable, unknown: escalate at once", () => {
    const permission = given(...started(), failed("build", 1, "permission")).when(recover("build", { evidence: "permission denied: /etc/app" })).thenTypes("PERMISSION_REQUIRED");
    expect(permission.events[0]?.data).toMatchObject({ detail: "permission: permission denied: /etc/app" });
    for (const klass of ["invalid_input", "unrecoverable", "unknown"] as const) {
      given(...started(), failed("build", 1, klass)).when(recover("build")).thenTypes("RECOVERY_ESCALATION");
    }
  });

  it("a server's Retry-After sets the next wait", () => {
    const decision = given(...started(), failed("build", 1, "transient")).when(recover("build", { retry_after_ms: 120_000 })).thenTypes("RECOVERY_ATTEMPTED");
    expect(decision.events[0]?.data).toMatchObject({ delay_ms: 120_000, due_at: "2026-01-15T14:25:45.000Z" });
  });

  it("a human's retry is a fresh attempt with the budget reset", () => {
    const exhausted = [...started(), failed("build", 1, "logic_error"), [recover("build")], failed("build", 2, "logic_error"), [recover("build")]];
    const retried = given(...exhausted).when({ type: "RecordDecision", at: AT, actor: "ana", task_id: "build", decision: "retry" }).thenTypes("DECISION_RECORDED");
    expect(retried.state.tasks.get(tid("build"))?.context).toMatchObject({ retries: 0, attempt: 2 });
    given(...exhausted, [{ type: "RecordDecision", at: AT, actor: "ana", task_id: "build", decision: "retry" }], failed("build", 3, "logic_error"))
      .when(recover("build"))
      .thenTypes("RECOVERY_ATTEMPTED");
  });

  it("the task machine refuses an automatic retry beyond the budget, whoever proposes it", () => {
    given(...started(), failed("build", 1, "invalid_input"))
      .when({ type: "ScheduleRetry", at: AT, task_id: "build", delay_ms: 0, due_at: AT })
      .thenThrows("ILLEGAL_TRANSITION", /RECOVERY_ATTEMPTED/);
  });
});

describe("recovery › stop on error", () => {
  // build succeeded; test and lint ran side by side, and test escalated first.
  const bothRan = [...started(), ...[runTask("build"), [scheduleReady]], failed("test", 1, "invalid_input"), failed("lint", 1, "transient").slice(0, 4)];
  const testEscalated = [...bothRan, [recover("test")], [{ type: "ClassifyFailure", at: AT, task_id: "lint", class: "transient", rule: "r", evidence: "e" } as CommandInput]];

  it("holds a sibling's retry while the plan waits for a decision: nothing is scheduled or counted", () => {
    const held = given(...testEscalated).when(recover("lint")).thenTypes();
    expect(entityState(held.state, "task:lint")).toBe("classified");
    expect(held.state.tasks.get(tid("lint"))?.context).toMatchObject({ retries: 0, due_at: null });
    expect(ledgerOf(held.state).find((entry) => entry.task_id === "lint")).toMatchObject({ retries_used: 0, next_retry_at: null, standing: expect.stringMatching(/^retry held until the decision on test/) });
  });

  it("follows the held recipe once the plan executes again", () => {
    const decided: CommandInput = { type: "RecordDecision", at: AT, actor: "ana", task_id: "test", decision: "skip" };
    const retried = given(...testEscalated, [recover("lint"), decided]).when(recover("lint")).thenTypes("RECOVERY_ATTEMPTED");
    expect(retried.events[0]?.data).toMatchObject({ task_id: "lint", next_attempt: 2 });
  });

  it("schedules no retry that an abort would never run: the task is skipped with the rest", () => {
    const aborted: CommandInput = { type: "RecordDecision", at: AT, actor: "ana", task_id: "test", decision: "abort" };
    const run = given(...testEscalated, [recover("lint"), aborted]);
    expect(entityState(run.state, "plan")).toBe("aborted");
    expect(entityState(run.state, "task:lint")).toBe("skipped");
    expect(run.log.filter((event) => event.entity === "task:lint").map((event) => event.type)).not.toContain("RECOVERY_ATTEMPTED");
  });
});

describe("recovery › a task that is not idempotent", () => {
  const once = (recovery?: PlanFile["recovery"]) =>
    planFile({ ...diamond, ...(recovery ? { recovery } : {}), tasks: diamond.tasks.map((t) => (t.id === "build" ? { ...t, idempotent: false } : t)) });
  const decide = (decision: "retry" | "skip" | "abort"): CommandInput => ({ type: "RecordDecision", at: AT, actor: "ana", task_id: "build", decision });

  it("is never retried on its own, whatever the class or the policy: a human decides, told why", () => {
    for (const [klass, plan] of [
      ["transient", once()],
      ["logic_error", once()],
      ["transient", once({ transient: { max_retries: 5, delays: ["0s"] } })],
      ["unknown", once({ unknown: { action: "retry", max_retries: 2 } })],
    ] as const) {
      const decision = given(...started(plan), failed("build", 1, klass)).when(recover("build")).thenTypes("RECOVERY_ESCALATION");
      expect(decision.events[0]?.data).toMatchObject({ class: klass, reason: expect.stringMatching(/task build is not idempotent \(idempotent: false\), so peh never runs it again on its own/) });
      expect(entityState(decision.state, "task:build")).toBe("awaiting_decision");
    }
  });

  it("runs again on a human's retry, once, and then waits for a human again", () => {
    const retried = [...started(once()), failed("build", 1, "transient"), [recover("build"), decide("retry")]];
    given(...retried, failed("build", 2, "transient")).when(recover("build")).thenTypes("RECOVERY_ESCALATION");
  });

  it("refuses a retry proposed directly, whoever proposes it", () => {
    given(...started(once()), failed("build", 1, "transient"))
      .when({ type: "ScheduleRetry", at: AT, task_id: "build", delay_ms: 0, due_at: AT })
      .thenThrows("ILLEGAL_TRANSITION", /RECOVERY_ATTEMPTED is not allowed for task:build/);
  });
});

describe("recovery › configured policies", () => {
  const withPolicies = planFile({
    ...diamond,
    recovery: { logic_error: { action: "skip" } },
    tasks: diamond.tasks.map((t) =>
      t.id === "build" ? { ...t, recovery: { transient: { max_retries: 3, delays: ["100ms"] }, unknown: { action: "abort" as const } } } : t,
    ),
  });

  it("resolves task fields over plan fields over the defaults", () => {
    const build = withPolicies.tasks[0];
    expect(policyFor("transient", build, withPolicies.recovery)).toEqual({ action: "retry", max_retries: 3, delays_ms: [100] });
    expect(policyFor("logic_error", build, withPolicies.recovery)).toMatchObject({ action: "skip" });
    expect(policyFor("permission", build, withPolicies.recovery)).toEqual(DEFAULT_RECOVERY.permission);
  });

  it("spreads a delay by ±20% jitter, and repeats the last delay", () => {
    const policy = DEFAULT_RECOVERY.transient;
    expect(retryDelayMs(policy, 1, 0)).toBe(4_000);
    expect(retryDelayMs(policy, 1, 0.999)).toBeLessThan(6_000);
    expect(retryDelayMs(policy, 5, 0.5)).toBe(30_000);
  });

  it("takes a server's Retry-After as the wait, but never longer than the longest duration peh accepts (365d)", () => {
    const policy = DEFAULT_RECOVERY.transient;
    expect(retryDelayMs(policy, 1, 0, 86_400_000)).toBe(86_400_000);
    expect(retryDelayMs(policy, 1, 0, 10 * MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
  });

  it("skip: recorded as the policy's decision, and the dependents proceed", () => {
    const decision = given(...started(withPolicies), failed("build", 1, "logic_error")).when(recover("build")).thenTypes("RECOVERY_ESCALATION", "DECISION_RECORDED");
    expect(decision.events[0]?.data).toMatchObject({ reason: expect.stringMatching(/the logic_error policy says skip/), choices: ["skip"] });
    expect(entityState(decision.state, "task:build")).toBe("skipped");
    expect(entityState(decision.state, "plan")).toBe("executing");
    given(...started(withPolicies), failed("build", 1, "logic_error"), [recover("build")]).when(scheduleReady).thenTypes("TASK_READY", "TASK_READY");
  });

  it("abort: the run ends aborted, the dependents upstream_failed", () => {
    const decision = given(...started(withPolicies), failed("build", 1, "unknown")).when(recover("build")).thenState("plan", "aborted");
    expect(entityState(decision.state, "task:test")).toBe("upstream_failed");
  });

  it("a task's own budget: three automatic retries", () => {
    let history: CommandInput[][] = [...started(withPolicies)];
    for (let attempt = 1; attempt <= 3; attempt++) history = [...history, failed("build", attempt, "transient"), [recover("build")]];
    given(...history, failed("build", 4, "transient")).when(recover("build")).thenTypes("RECOVERY_ESCALATION");
  });
});

describe("recovery › durations", () => {
  it("reads each unit and compound forms, largest first, into milliseconds", () => {
    expect(["250ms", "5s", "10m", "1h", "1d", "1h30m", "2m30s", "1d2h3m4s5ms"].map(durationToMs)).toEqual([
      250, 5_000, 600_000, 3_600_000, 86_400_000, 5_400_000, 150_000, 86_400_000 + 7_200_000 + 180_000 + 4_000 + 5,
    ]);
  });

  it("waits a compound delay of the policy", () => {
    const policy = policyFor("transient", { recovery: { transient: { delays: ["1m30s"] } } }, undefined);
    expect(retryDelayMs(policy, 1, 0.5)).toBe(90_000);
  });
});
