// Random failure sequences under random policies, driven the way the orchestrator drives a run:
// automatic retries never exceed the policy's budget (reset only by a human's retry), a task
// that completed never runs again, every escalation waits for a recorded decision, and a task
// that is not idempotent runs again only on a human's retry.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { type FailureClass, type PehEvent, type RecoveryAction, type TaskId } from "../events/index.js";
import type { CommandInput } from "../machines/decider/commands.js";
import { decide } from "../machines/decider/decider.js";
import { FAILURE_CLASSES, policyFor } from "../machines/recovery.js";
import { initialRunState, type RunState } from "../machines/fold/run.js";
import { stateName } from "../machines/fold/state-name.js";
import { AT, BOOTSTRAP, approve, create, diamond, planFile } from "./support/fixtures.js";

const policy = fc.record(
  { max_retries: fc.integer({ min: 0, max: 3 }), action: fc.constantFrom<RecoveryAction>("retry", "escalate", "skip", "abort") },
  { requiredKeys: [] },
);
const policies = fc.dictionary(fc.constantFrom(...FAILURE_CLASSES), policy, { maxKeys: 4 });
/** An attempt's outcome: success, or a failure of a class. */
const outcome = fc.oneof(fc.constant("ok" as const), fc.constantFrom(...FAILURE_CLASSES));
const human = fc.constantFrom("retry", "skip", "abort" as const);
/** Whether each task of the diamond is idempotent. */
const idempotence = fc.array(fc.boolean(), { minLength: diamond.tasks.length, maxLength: diamond.tasks.length });

function drive(state: RunState, log: PehEvent[], command: CommandInput): RunState {
  const decision = decide(state, command);
  log.push(...decision.events);
  return decision.state;
}

describe("recovery › random failures under random policies", () => {
  test.prop([policies, fc.array(outcome, { minLength: 1, maxLength: 40 }), fc.array(human, { minLength: 1, maxLength: 10 }), idempotence], { numRuns: 150 })(
    "never retries beyond the budget, never re-runs a completed task, never passes an escalation without a decision",
    (planPolicies, outcomes, decisions, idempotent) => {
      const plan = planFile({ ...diamond, recovery: planPolicies, tasks: diamond.tasks.map((t, i) => ({ ...t, idempotent: idempotent[i]! })) });
      const log: PehEvent[] = [];
      let state = initialRunState();
      for (const command of [create(plan), approve(), ...BOOTSTRAP]) state = drive(state, log, command);
      let o = 0;
      let d = 0;
      for (let step = 0; step < 200 && stateName(state.plan.value) !== "completed" && stateName(state.plan.value) !== "aborted" && stateName(state.plan.value) !== "failed"; step++) {
        state = drive(state, log, { type: "ScheduleReadyTasks", at: AT });
        const awaiting = [...state.tasks].find(([, cell]) => stateName(cell.value) === "awaiting_decision");
        if (awaiting) {
          state = drive(state, log, { type: "RecordDecision", at: AT, actor: "ana", task_id: awaiting[0], decision: decisions[d++ % decisions.length]! });
          continue;
        }
        const next = [...state.tasks].find(([, cell]) => ["ready", "retry_scheduled"].includes(stateName(cell.value)));
        if (!next) {
          state = drive(state, log, { type: "Finish", at: AT });
          continue;
        }
        const [task_id, cell] = next;
        const attempt = cell.context.attempt + 1;
        const result = outcomes[o++ % outcomes.length]!;
        for (const command of [
          { type: "StartAttempt", at: AT, task_id, cwd: "/w/app" },
          { type: "ResolveTrust", at: AT, worker_id: `${task_id}#${attempt}`, resolution: { source: "allowlist", root: "/w/app" } },
          { type: "MarkWorkerRunning", at: AT, worker_id: `${task_id}#${attempt}` },
          { type: "RecordExit", at: AT, task_id, exit_code: result === "ok" ? 0 : 1 },
        ] satisfies CommandInput[]) {
          state = drive(state, log, command);
        }
        if (result === "ok") {
          state = drive(state, log, { type: "RecordVerification", at: AT, task_id, evidence: [] });
          continue;
        }
        state = drive(state, log, { type: "ClassifyFailure", at: AT, task_id, class: result, rule: "r", evidence: "e" });
        state = drive(state, log, { type: "Recover", at: AT, task_id, evidence: "e", jitter: 0.5 });
      }
      checkRecoveryInvariants(log, plan);
    },
  );
});

function checkRecoveryInvariants(log: readonly PehEvent[], plan: ReturnType<typeof planFile>): void {
  const retries = new Map<TaskId, number>();
  const lastClass = new Map<TaskId, FailureClass>();
  const completed = new Set<TaskId>();
  const waiting = new Set<TaskId>();
  /** Attempts started, and the retries a human decided, of each task. */
  const starts = new Map<TaskId, number>();
  const humanRetries = new Map<TaskId, number>();
  for (const event of log) {
    switch (event.type) {
      case "FAILURE_CLASSIFIED":
        lastClass.set(event.data.task_id, event.data.class);
        break;
      case "RECOVERY_ATTEMPTED": {
        const id = event.data.task_id;
        const klass = lastClass.get(id)!;
        const policy = policyFor(klass, plan.tasks.find((t) => t.id === id), plan.recovery);
        const used = (retries.get(id) ?? 0) + 1;
        expect(policy.action, `${id} retried automatically after ${klass}, whose policy says ${policy.action}`).toBe("retry");
        expect(plan.tasks.find((t) => t.id === id)?.idempotent, `${id} is not idempotent, and was retried automatically`).not.toBe(false);
        expect(used, `${id}: retry ${used} of ${policy.max_retries} for ${klass}`).toBeLessThanOrEqual(policy.max_retries);
        retries.set(id, used);
        break;
      }
      case "RECOVERY_ESCALATION":
      case "PERMISSION_REQUIRED":
        waiting.add(event.data.task_id);
        break;
      case "DECISION_RECORDED":
        expect(waiting.has(event.data.task_id), `a decision for ${event.data.task_id} nobody asked for`).toBe(true);
        waiting.delete(event.data.task_id);
        if (event.data.decision === "retry") retries.set(event.data.task_id, 0);
        if (event.data.decision === "retry" && event.actor !== "system") humanRetries.set(event.data.task_id, (humanRetries.get(event.data.task_id) ?? 0) + 1);
        break;
      case "TASK_STARTED":
        expect(completed.has(event.data.task_id), `${event.data.task_id} ran again after it completed`).toBe(false);
        expect(waiting.has(event.data.task_id), `${event.data.task_id} started while it waited for a decision`).toBe(false);
        starts.set(event.data.task_id, (starts.get(event.data.task_id) ?? 0) + 1);
        if (plan.tasks.find((t) => t.id === event.data.task_id)?.idempotent === false) {
          const allowed = 1 + (humanRetries.get(event.data.task_id) ?? 0);
          expect(starts.get(event.data.task_id), `${event.data.task_id} is not idempotent: attempt ${starts.get(event.data.task_id)} with ${allowed - 1} human retries`).toBeLessThanOrEqual(allowed);
        }
        break;
      case "TASK_COMPLETED":
        completed.add(event.data.task_id);
        break;
      default:
        break;
    }
  }
  // A refused command would have thrown: every step above was legal. Something happened.
  expect(log.some((e) => e.type === "TASK_STARTED")).toBe(true);
}
