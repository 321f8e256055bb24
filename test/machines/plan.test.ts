import { describe, expect, it } from "vitest";
import { initialTransition, transition } from "xstate";
import type { PehEvent } from "../../events/index.js";
import { planMachine } from "../../machines/plan.js";
import { stateName } from "../../machines/fold/state-name.js";
import { diamond } from "../support/fixtures.js";
import { ev } from "../support/events.js";

const plan = (version: number) => ({ ...diamond, version });
const created = ev("PLAN_CREATED", { plan: plan(1), workspace: "/w/app" });
const risky = [{ task_id: "deploy", phrase: "deploy to production" }];
const requested = (version = 1) => ev("GATE_APPROVAL_REQUESTED", { version, risky_tasks: risky });
const approved = (version = 1, confirmations = risky) => ev("GATE_APPROVED", { version, confirmations });
const walk = (...events: PehEvent[]) => events.reduce((s, e) => transition(planMachine, s, e)[0], initialTransition(planMachine)[0]);
const awaiting = () => walk(created, requested());

describe("plan machine › when created", () => {
  it("derives the risky tasks and their phrases from the plan itself", () => {
    expect(walk(created).context.risky).toEqual(risky);
  });

  it("accepts an approval request only if it lists every risky task with its phrase", () => {
    expect(walk(created).can(ev("GATE_APPROVAL_REQUESTED", { version: 1, risky_tasks: [] }))).toBe(false);
    expect(walk(created).can(requested())).toBe(true);
  });
});

describe("plan machine › when awaiting approval", () => {
  it("approves the current version with every risky phrase", () => {
    const next = walk(created, requested(), approved());
    expect(next.value).toBe("approved");
    expect(next.context.approved_version).toBe(1);
  });

  it("refuses an approval without the risky phrase, or with a wrong one", () => {
    expect(awaiting().can(approved(1, []))).toBe(false);
    expect(awaiting().can(approved(1, [{ task_id: "deploy", phrase: "yes" }]))).toBe(false);
  });

  it("refuses an approval of another version", () => {
    expect(awaiting().can(approved(2))).toBe(false);
  });

  it("goes back to drafted with a new version on a modification", () => {
    const next = walk(created, requested(), ev("GATE_MODIFIED", { plan: plan(2), change: "skip lint" }));
    expect(next.value).toBe("drafted");
    expect(next.context.version).toBe(2);
    expect(next.can(approved(2))).toBe(false);
  });

  it("asks for clarification and comes back when answered", () => {
    const asked = walk(created, requested(), ev("GATE_CLARIFICATION_REQUESTED", { version: 1, question: "which region?" }));
    expect(asked.value).toBe("clarification_requested");
    expect(asked.can(approved())).toBe(false);
    expect(transition(planMachine, asked, requested())[0].value).toBe("awaiting_approval");
  });

  it("is final once rejected", () => {
    const rejected = walk(created, requested(), ev("GATE_REJECTED", { version: 1, reason: "too risky" }));
    expect(rejected.status).toBe("done");
    expect(rejected.can(approved())).toBe(false);
  });
});

describe("plan machine › after approval", () => {
  it("revokes the approval when the plan is modified", () => {
    const next = walk(created, requested(), approved(), ev("GATE_MODIFIED", { plan: plan(2), change: "add smoke test" }));
    expect(next.context.approved_version).toBeNull();
    expect(next.value).toBe("drafted");
  });

  it("judges no task event before execution", () => {
    expect(walk(created, requested(), approved()).can(ev("TASK_READY", { task_id: "build" }))).toBe(false);
  });

  it("executes once the last bootstrap phase completed", () => {
    const booting = walk(created, requested(), approved(), ev("BOOTSTRAP_PHASE_STARTED", { phase: "cli_entry" }));
    expect(booting.value).toBe("bootstrapping");
    expect(booting.can(ev("TASK_READY", { task_id: "build" }))).toBe(false);
    const executing = transition(planMachine, booting, ev("BOOTSTRAP_PHASE_COMPLETED", { phase: "main_runtime" }))[0];
    expect(executing.value).toBe("executing");
    expect(executing.can(ev("TASK_READY", { task_id: "build" }))).toBe(true);
  });
});

describe("plan machine › when executing", () => {
  const executing = () =>
    walk(created, requested(), approved(), ev("BOOTSTRAP_PHASE_STARTED", { phase: "cli_entry" }), ev("BOOTSTRAP_PHASE_COMPLETED", { phase: "main_runtime" }));
  const escalation = (task_id: string) =>
    ev("RECOVERY_ESCALATION", { task_id, class: "logic_error", reason: "failed twice", choices: ["retry", "skip", "abort"] });

  it("waits for a decision on an escalation and starts nothing meanwhile", () => {
    const waiting = transition(planMachine, executing(), escalation("test"))[0];
    expect(waiting.value).toBe("awaiting_decision");
    expect(waiting.can(ev("TASK_STARTED", { task_id: "lint", attempt: 1, worker_id: "lint#1" }))).toBe(false);
  });

  it("resumes after the last awaited decision, not before", () => {
    const two = walk(
      created, requested(), approved(),
      ev("BOOTSTRAP_PHASE_STARTED", { phase: "cli_entry" }), ev("BOOTSTRAP_PHASE_COMPLETED", { phase: "main_runtime" }),
      escalation("test"), escalation("lint"),
    );
    const one = transition(planMachine, two, ev("DECISION_RECORDED", { task_id: "test", decision: "retry" }))[0];
    expect(one.value).toBe("awaiting_decision");
    const none = transition(planMachine, one, ev("DECISION_RECORDED", { task_id: "lint", decision: "skip" }))[0];
    expect(none.value).toBe("executing");
  });

  it("lets an automatic retry be scheduled only while it executes, not while it waits for a human", () => {
    const retry = ev("RECOVERY_ATTEMPTED", { task_id: "lint", next_attempt: 2, delay_ms: 0, due_at: "2026-01-15T14:23:50.000Z" });
    expect(executing().can(retry)).toBe(true);
    expect(transition(planMachine, executing(), escalation("test"))[0].can(retry)).toBe(false);
  });

  it("refuses a decision nobody asked for", () => {
    const waiting = transition(planMachine, executing(), escalation("test"))[0];
    expect(waiting.can(ev("DECISION_RECORDED", { task_id: "lint", decision: "retry" }))).toBe(false);
  });

  it("aborts on an abort decision, then completes as aborted", () => {
    const aborting = walk(
      created, requested(), approved(),
      ev("BOOTSTRAP_PHASE_STARTED", { phase: "cli_entry" }), ev("BOOTSTRAP_PHASE_COMPLETED", { phase: "main_runtime" }),
      escalation("test"), ev("DECISION_RECORDED", { task_id: "test", decision: "abort" }),
    );
    expect(aborting.value).toBe("aborting");
    const done = transition(
      planMachine,
      aborting,
      ev("EXECUTION_COMPLETE", { outcome: "aborted", counts: { succeeded: 1, failed: 1, skipped: 1, upstream_failed: 1 } }),
    )[0];
    expect(stateName(done.value)).toBe("aborted");
  });

  it("keeps the version a human approved when a change mid-run makes a new one, and who changed it", () => {
    const change = (version: number, actor: string) => ({
      ...ev("PLAN_CHANGED", { plan: plan(version), change: "add notify", settled: [], confirmations: [] }),
      actor,
    });
    const changed = walk(created, requested(), approved(),
      ev("BOOTSTRAP_PHASE_STARTED", { phase: "cli_entry" }), ev("BOOTSTRAP_PHASE_COMPLETED", { phase: "main_runtime" }),
      change(2, "ana"), change(3, "bo"), change(4, "ana"));
    expect(changed.value).toBe("executing");
    expect(changed.context).toMatchObject({ version: 4, approved_version: 1, changed_by: ["ana", "bo"] });
  });

  it("is cancelled by a human while it executes, waits for a decision, or has yet to start: it aborts", () => {
    const cancelled = ev("RUN_CANCELLED", { reason: "moved to Monday" });
    for (const from of [walk(created, requested(), approved()), executing(), transition(planMachine, executing(), escalation("test"))[0]]) {
      const [next, actions] = transition(planMachine, from, cancelled);
      expect(next.value).toBe("aborting");
      expect(next.context.cancelled).toBe(true);
      expect(actions.map((a) => a.type)).toContain("stopRunningTasks");
    }
    const aborted = transition(planMachine, executing(), cancelled)[0];
    expect(aborted.can(ev("TASK_STARTED", { task_id: "lint", attempt: 1, worker_id: "lint#1" }))).toBe(false);
    expect(aborted.can(cancelled)).toBe(false);
  });

  it("takes a cancel after an abort decision (it stops the siblings that still run), and none before approval or after the end", () => {
    const cancelled = ev("RUN_CANCELLED", { reason: "now" });
    const aborting = walk(created, requested(), approved(), ev("BOOTSTRAP_PHASE_STARTED", { phase: "cli_entry" }), ev("BOOTSTRAP_PHASE_COMPLETED", { phase: "main_runtime" }), escalation("test"), ev("DECISION_RECORDED", { task_id: "test", decision: "abort" }));
    expect(aborting.context.cancelled).toBe(false);
    expect(transition(planMachine, aborting, cancelled)[0].context.cancelled).toBe(true);
    expect(awaiting().can(cancelled)).toBe(false);
    const done = transition(planMachine, executing(), ev("EXECUTION_COMPLETE", { outcome: "completed", counts: { succeeded: 4, failed: 0, skipped: 0, upstream_failed: 0 } }))[0];
    expect(done.can(cancelled)).toBe(false);
  });

  it("vouches for a retry made due now while it executes or waits for a decision, not while it aborts", () => {
    const now = ev("RECOVERY_EXPEDITED", { task_id: "lint", next_attempt: 2, waived_due_at: "2026-01-16T14:23:45.000Z" });
    expect(executing().can(now)).toBe(true);
    expect(transition(planMachine, executing(), escalation("test"))[0].can(now)).toBe(true);
    expect(transition(planMachine, executing(), ev("RUN_CANCELLED", { reason: "stop" }))[0].can(now)).toBe(false);
  });

  it("completes only when the counts cover every task", () => {
    const short = ev("EXECUTION_COMPLETE", { outcome: "completed", counts: { succeeded: 3, failed: 0, skipped: 0, upstream_failed: 0 } });
    expect(executing().can(short)).toBe(false);
    const all = ev("EXECUTION_COMPLETE", { outcome: "completed", counts: { succeeded: 4, failed: 0, skipped: 0, upstream_failed: 0 } });
    expect(transition(planMachine, executing(), all)[0].value).toBe("completed");
  });
});

describe("plan machine › grants (network, writable paths, no sandbox)", () => {
  // build asks for the network; deploy stays risky as before.
  const withGrants = (version: number, build: Record<string, unknown>) => ({
    ...diamond,
    version,
    tasks: [{ ...diamond.tasks[0]!, ...build }, ...diamond.tasks.slice(1)],
  });
  const fetchRisky = (grants: Record<string, unknown>) => ({ task_id: "build", phrase: "build", grants });
  const start = [ev("BOOTSTRAP_PHASE_STARTED", { phase: "cli_entry" }), ev("BOOTSTRAP_PHASE_COMPLETED", { phase: "main_runtime" })];
  const asking = [fetchRisky({ network: true }), ...risky];
  const createdAsking = ev("PLAN_CREATED", { plan: withGrants(1, { network: true }), workspace: "/w/app" });
  const change = (version: number, build: Record<string, unknown>, confirmations: { task_id: string; phrase: string; grants?: Record<string, unknown> }[] = []) =>
    ev("PLAN_CHANGED", { plan: withGrants(version, build), change: "edit build", settled: [], confirmations });

  it("counts a task that asks for a grant as risky, and wants the grants listed and confirmed as shown", () => {
    expect(walk(createdAsking).context.risky).toEqual(asking);
    expect(walk(createdAsking).can(ev("GATE_APPROVAL_REQUESTED", { version: 1, risky_tasks: [{ task_id: "build", phrase: "build" }, ...risky] }))).toBe(false);
    const waiting = walk(createdAsking, ev("GATE_APPROVAL_REQUESTED", { version: 1, risky_tasks: asking }));
    expect(waiting.can(ev("GATE_APPROVED", { version: 1, confirmations: risky }))).toBe(false);
    // A confirmation for other grants than the version shows is not its confirmation.
    expect(waiting.can(ev("GATE_APPROVED", { version: 1, confirmations: [fetchRisky({ network: true, sandbox: "off" }), ...risky] }))).toBe(false);
    const next = transition(planMachine, waiting, ev("GATE_APPROVED", { version: 1, confirmations: asking }))[0];
    expect(next.value).toBe("approved");
    expect(next.context.granted).toEqual(asking);
  });

  it("grants nothing once the approved plan is modified (a new version needs a new approval)", () => {
    const modified = walk(createdAsking, ev("GATE_APPROVAL_REQUESTED", { version: 1, risky_tasks: asking }), ev("GATE_APPROVED", { version: 1, confirmations: asking }),
      ev("GATE_MODIFIED", { plan: withGrants(2, { network: true }), change: "edit" }));
    expect(modified.context.granted).toEqual([]);
  });

  describe("a change mid-run", () => {
    const executingAsking = () =>
      walk(createdAsking, ev("GATE_APPROVAL_REQUESTED", { version: 1, risky_tasks: asking }), ev("GATE_APPROVED", { version: 1, confirmations: asking }), ...start);
    const executingPlain = () => walk(created, requested(), approved(), ...start);

    it("that turns the network on needs the task's phrase, for the grant it adds", () => {
      expect(executingPlain().can(change(2, { network: true }))).toBe(false);
      expect(executingPlain().can(change(2, { network: true }, [fetchRisky({ network: true })]))).toBe(true);
    });

    it("that widens the grants of a task risky and approved before needs its phrase again", () => {
      const widened = { network: true, writable: ["/var/cache/app"] };
      expect(executingAsking().can(change(2, widened))).toBe(false);
      expect(executingAsking().can(change(2, { network: true, sandbox: "off" }))).toBe(false);
      expect(executingAsking().can(change(2, widened, [fetchRisky({ network: true, writable: ["/var/cache/app"] })]))).toBe(true);
    });

    it("that keeps or narrows a task's grants needs no phrase, and a narrowed grant stays narrowed", () => {
      expect(executingAsking().can(change(2, { network: true, objective: "Compile to dist/ (again)" }))).toBe(true);
      const narrowed = transition(planMachine, executingAsking(), change(2, { network: false }))[0];
      expect(narrowed.context.granted).toEqual(risky);
      // Turning it back on is a new grant: its phrase again.
      expect(narrowed.can(change(3, { network: true }))).toBe(false);
    });

    it("is judged the same while a human decides", () => {
      const deciding = transition(planMachine, executingAsking(), ev("RECOVERY_ESCALATION", { task_id: "test", class: null, reason: "failed", choices: ["retry", "skip", "abort"] }))[0];
      expect(deciding.value).toBe("awaiting_decision");
      expect(deciding.can(change(2, { network: true, sandbox: "off" }))).toBe(false);
      expect(deciding.can(change(2, { network: true, sandbox: "off" }, [fetchRisky({ network: true, sandbox: "off" })]))).toBe(true);
    });
  });
});
