// Candidate events for path generation: for a machine snapshot, every event type it might take,
// with data fitted to its context (the next attempt, the current version). The machine decides
// which of them are legal; this only proposes.
import type { AnyMachineSnapshot } from "xstate";
import { BOOTSTRAP_PHASES, type PehEvent } from "../../events/index.js";
import { diamond } from "./fixtures.js";
import { ev } from "./events.js";

export const OWN = "build";

export function taskEvents(snapshot: AnyMachineSnapshot): PehEvent[] {
  const attempt = Math.max(1, snapshot.context.attempt as number);
  const next = (snapshot.context.attempt as number) + 1;
  const task_id = OWN;
  return [
    ev("TASK_READY", { task_id }),
    ev("TASK_STARTED", { task_id, attempt: next, worker_id: `${task_id}#${next}` }),
    ev("TASK_VERIFYING", { task_id, attempt }),
    ev("RECOVERY_SUCCEEDED", { task_id, attempt }),
    ev("TASK_COMPLETED", { task_id, attempt }),
    ev("TASK_FAILED", { task_id, attempt, stage: "run", error: { code: "EXIT", message: "exit 1" }, exit_code: 1 }),
    ev("FAILURE_CLASSIFIED", { task_id, attempt, class: "logic_error", rule: "exit", evidence: "exit 1" }),
    ev("RECOVERY_ATTEMPTED", { task_id, next_attempt: next, delay_ms: 0, due_at: "2026-01-15T14:23:45.000Z" }),
    ev("RECOVERY_EXPEDITED", { task_id, next_attempt: next, waived_due_at: (snapshot.context.due_at as string | null) ?? "2026-01-15T14:23:45.000Z" }),
    ev("RECOVERY_ESCALATION", { task_id, class: "logic_error", reason: "escalated", choices: ["retry", "skip", "abort"] }),
    ev("PERMISSION_REQUIRED", { task_id, detail: "403 Forbidden" }),
    ev("DECISION_RECORDED", { task_id, decision: "retry" }),
    ev("DECISION_RECORDED", { task_id, decision: "skip" }),
    ev("DECISION_RECORDED", { task_id, decision: "abort" }),
    ev("TASK_SKIPPED", { task_id, reason: "upstream_failed" }),
    ev("TASK_SKIPPED", { task_id, reason: "aborted" }),
    ev("TASK_INTERRUPTED", { task_id, attempt, reason: "crash" }),
    ev("TASK_REUSED", { task_id, source_run: "r-source", source_seq: 23, attempt: 1 }),
    ...worktreeEvents(task_id, attempt),
  ];
}

const BASE = "1".repeat(40);
const COMMIT = "2".repeat(40);
const REBASED = "3".repeat(40);

/** The git steps of an isolated attempt (DESIGN §11), with a merge conflict among them. */
export function worktreeEvents(task_id: string, attempt: number): PehEvent[] {
  return [
    ev("WORKTREE_CREATED", { task_id, attempt, path: `/w/app/.git/peh-worktrees/r/${task_id}-${attempt}`, base: BASE }),
    ev("TASK_COMMITTED", { task_id, attempt, base: BASE, commit: COMMIT }),
    ev("TASK_REBASED", { task_id, attempt, onto: BASE, commit: REBASED }),
    ev("TASK_MERGED", { task_id, attempt, onto: BASE, commit: REBASED }),
    ev("TASK_FAILED", { task_id, attempt, stage: "merge", error: { code: "MERGE_CONFLICT", message: "a.txt conflicts" }, conflicts: ["a.txt"] }),
    ev("WORKTREE_ARCHIVED", { task_id, attempt, ref: `refs/peh/r/${task_id}/${attempt}`, commit: COMMIT }),
    ev("WORKTREE_REMOVED", { task_id, attempt, path: `/w/app/.git/peh-worktrees/r/${task_id}-${attempt}` }),
  ];
}

const worker = { worker_id: `${OWN}#1`, task_id: OWN };

export function workerEvents(): PehEvent[] {
  return [
    ev("WORKER_TRUST_REQUIRED", { ...worker, cwd: "/w/app" }),
    ev("WORKER_TRUST_RESOLVED", { ...worker, resolution: { source: "manual", by: "ana" } }),
    ev("WORKER_READY", worker),
    ev("WORKER_RUNNING", { ...worker, pid: 99 }),
    ev("WORKER_FINISHED", { ...worker, exit_code: 0 }),
    ev("WORKER_FAILED", { ...worker, error: { code: "EXIT", message: "exit 1" }, exit_code: 1 }),
  ];
}

/** A claim of the attempt by worker process w1, and its lease expiring: w1's, and another's (refused). */
export function claimEvents(): PehEvent[] {
  return [
    ev("WORKER_CLAIMED", { ...worker, attempt: 1, holder: "w1", lease_ms: 2_000 }),
    ev("WORKER_LEASE_EXPIRED", { ...worker, holder: "w1", by: "w2" }),
    ev("WORKER_LEASE_EXPIRED", { ...worker, holder: "w3", by: "w2" }),
  ];
}

export function bootstrapEvents(): PehEvent[] {
  return BOOTSTRAP_PHASES.flatMap((phase) => [
    ev("BOOTSTRAP_PHASE_STARTED", { phase }),
    ev("BOOTSTRAP_PHASE_COMPLETED", { phase }),
    ev("BOOTSTRAP_PHASE_FAILED", { phase, error: { code: "X", message: "failed" } }),
  ]);
}

const risky = [{ task_id: "deploy", phrase: "deploy to production" }];
const counts = { succeeded: 4, failed: 0, skipped: 0, upstream_failed: 0 };

export function planEvents(snapshot: AnyMachineSnapshot): PehEvent[] {
  const version = Math.max(1, snapshot.context.version as number);
  return [
    ev("PLAN_CREATED", { plan: { ...diamond, version: 1 }, workspace: "/w/app" }),
    ev("GATE_APPROVAL_REQUESTED", { version, risky_tasks: risky }),
    ev("GATE_APPROVED", { version, confirmations: risky }),
    ev("GATE_MODIFIED", { plan: { ...diamond, version: version + 1 }, change: "edit" }),
    ev("GATE_CLARIFICATION_REQUESTED", { version, question: "why?" }),
    ev("GATE_REJECTED", { version, reason: "no" }),
    ev("BOOTSTRAP_PHASE_STARTED", { phase: "cli_entry" }),
    ev("BOOTSTRAP_PHASE_COMPLETED", { phase: "main_runtime" }),
    ev("RECOVERY_ESCALATION", { task_id: "test", class: null, reason: "escalated", choices: ["retry", "skip", "abort"] }),
    ev("DECISION_RECORDED", { task_id: "test", decision: "retry" }),
    ev("DECISION_RECORDED", { task_id: "test", decision: "abort" }),
    ev("RUN_CANCELLED", { reason: "moved to Monday" }),
    ev("EXECUTION_COMPLETE", { outcome: "completed", counts }),
    ev("EXECUTION_COMPLETE", { outcome: "failed", counts }),
    ev("EXECUTION_COMPLETE", { outcome: "aborted", counts }),
    ev("RUN_BRANCH_STARTED", { branch: "peh/r", head: BASE, base: BASE, snapshot: false }),
    ev("RUN_LANDED", { branch: "main", from: BASE, to: REBASED }),
  ];
}
