// Pure. The candidate events of the commands that drive an attempt and its recovery (start,
// trust, exit, verification, classification, retry, escalation, decision, interruption, the end),
// for the decider, which stamps and checks each with the machines. Split from decider.ts.
import { PehError, workerIdFor, type TaskId } from "../../events/index.js";
import type { Candidate, Legality } from "./candidate.js";
import type { Command } from "./commands.js";
import { recover } from "./recovery-recipe.js";
import { NOTHING_SPENT, budgetLeft } from "../run-budget.js";
import type { RunState, TaskSnapshot } from "../fold/run.js";
import { wrapUp } from "./wrap-up.js";
import { refuseOverCap } from "../claims.js";

export type ExecutionCommand = Extract<
  Command,
  {
    type:
      | "StartAttempt"
      | "ResolveTrust"
      | "MarkWorkerRunning"
      | "RecordExit"
      | "RecordVerification"
      | "ClassifyFailure"
      | "ScheduleRetry"
      | "Recover"
      | "Escalate"
      | "RequirePermission"
      | "RecordDecision"
      | "InterruptTask"
      | "CancelRun"
      | "Finish";
  }
>;

/** The task's machine, or a USAGE error naming the tasks the run has. */
function task(state: RunState, id: TaskId): TaskSnapshot {
  const snapshot = state.tasks.get(id);
  if (!snapshot) {
    const known = [...state.tasks.keys()].join(", ") || "none";
    throw new PehError("USAGE", `unknown task "${id}"`, `the tasks of this run are: ${known}`);
  }
  return snapshot;
}

/** The candidate events of an execution command, in order; the decider checks each. */
export function* executionCandidates(state: RunState, command: ExecutionCommand, legal: Legality): Generator<Candidate, void, unknown> {
  switch (command.type) {
    case "StartAttempt": {
      refuseOverCap(state, command.task_id);
      const attempt = task(state, command.task_id).context.attempt + 1;
      // The run's budget is spent: the attempt does not start, a human decides (the plan judges).
      const { budget, spent } = state.plan.context;
      if (budget && !budgetLeft(budget, spent ?? NOTHING_SPENT)) {
        const stop: Candidate = { type: "RUN_BUDGET_SPENT", data: { task_id: command.task_id, next_attempt: attempt, budget, spent: spent ?? NOTHING_SPENT } };
        if (legal(stop)) {
          yield stop;
          return;
        }
      }
      const worker_id = workerIdFor(command.task_id, attempt);
      yield { type: "TASK_STARTED", data: { task_id: command.task_id, attempt, worker_id } };
      yield { type: "WORKER_SPAWNING", data: { worker_id, task_id: command.task_id, attempt, cwd: command.cwd } };
      if (command.claim) yield { type: "WORKER_CLAIMED", data: { worker_id, task_id: command.task_id, attempt, ...command.claim } };
      yield { type: "WORKER_TRUST_REQUIRED", data: { worker_id, task_id: command.task_id, cwd: command.cwd } };
      return;
    }
    case "ResolveTrust": {
      const worker = state.workers.get(command.worker_id);
      if (!worker) throw new PehError("USAGE", `unknown worker "${command.worker_id}"`);
      const task_id = worker.context.task_id;
      yield { type: "WORKER_TRUST_RESOLVED", data: { worker_id: command.worker_id, task_id, resolution: command.resolution } };
      yield { type: "WORKER_READY", data: { worker_id: command.worker_id, task_id } };
      return;
    }
    case "MarkWorkerRunning": {
      const worker = state.workers.get(command.worker_id);
      if (!worker) throw new PehError("USAGE", `unknown worker "${command.worker_id}"`);
      yield {
        type: "WORKER_RUNNING",
        data: {
          worker_id: command.worker_id,
          task_id: worker.context.task_id,
          pid: command.pid,
          ...(command.sandbox === undefined ? {} : { sandbox: command.sandbox }),
          ...(command.made === undefined ? {} : { made: command.made }),
        },
      };
      return;
    }
    case "RecordExit": {
      const { task_id, exit_code, signal, timed_out, duration_ms } = command;
      const attempt = command.attempt ?? task(state, task_id).context.attempt;
      const worker_id = workerIdFor(task_id, attempt);
      const { agent } = command;
      // An agent succeeded only with a final result that is not an error, whatever its exit code.
      const agentFailed = agent !== undefined && (agent.result === null || agent.result.is_error || agent.stop !== undefined);
      const reported = agent === undefined ? {} : { agent };
      const succeeded = exit_code === 0 && signal === null && !timed_out && !agentFailed;
      if (succeeded) {
        yield { type: "WORKER_FINISHED", data: { worker_id, task_id, exit_code: 0 } };
        yield { type: "TASK_VERIFYING", data: { task_id, attempt, ...reported } };
        return;
      }
      const error = command.error ?? (agentFailed && exit_code === 0 ? agentError(agent) : exitError(exit_code, signal, timed_out));
      yield { type: "WORKER_FAILED", data: { worker_id, task_id, error, exit_code, signal } };
      yield { type: "TASK_FAILED", data: { task_id, attempt, stage: "run", error, exit_code, signal, timed_out, duration_ms, ...reported } };
      return;
    }
    case "RecordVerification": {
      const { task_id, evidence, duration_ms } = command;
      const attempt = command.attempt ?? task(state, task_id).context.attempt;
      const failed = evidence.find((check) => check.exit_code !== 0);
      if (failed === undefined && task(state, task_id).context.isolated) {
        // Isolated: the checks passed in the worktree; the task completes once its commit is merged.
        if (command.commit === undefined) throw new PehError("USAGE", `task ${task_id} is isolated: its verification must carry the commit peh made`);
        yield { type: "TASK_COMMITTED", data: { task_id, attempt, base: command.commit.base, commit: command.commit.commit, duration_ms, evidence } };
        return;
      }
      if (failed === undefined) {
        const recovered: Candidate = { type: "RECOVERY_SUCCEEDED", data: { task_id, attempt } };
        if (legal(recovered)) yield recovered;
        yield { type: "TASK_COMPLETED", data: { task_id, attempt, duration_ms, evidence } };
        return;
      }
      yield {
        type: "TASK_FAILED",
        data: {
          task_id,
          attempt,
          stage: "verify",
          error: command.error ?? { code: "ACCEPTANCE_FAILED", message: `acceptance test failed (exit ${failed.exit_code}): ${failed.command}` },
          exit_code: failed.exit_code,
          ...(command.timed_out ? { timed_out: true } : {}),
          duration_ms,
          evidence,
        },
      };
      return;
    }
    case "ClassifyFailure": {
      const attempt = command.attempt ?? task(state, command.task_id).context.attempt;
      yield {
        type: "FAILURE_CLASSIFIED",
        data: {
          task_id: command.task_id,
          attempt,
          class: command.class,
          rule: command.rule,
          evidence: command.evidence,
          ...(command.rate_limit === undefined ? {} : { rate_limit: command.rate_limit }),
        },
      };
      return;
    }
    case "ScheduleRetry": {
      const next_attempt = task(state, command.task_id).context.attempt + 1;
      yield {
        type: "RECOVERY_ATTEMPTED",
        data: { task_id: command.task_id, next_attempt, delay_ms: command.delay_ms, due_at: command.due_at },
      };
      return;
    }
    case "Recover":
      yield* recover(state, task(state, command.task_id), command, legal);
      return;
    case "Escalate":
      task(state, command.task_id);
      yield {
        type: "RECOVERY_ESCALATION",
        data: { task_id: command.task_id, class: command.class, reason: command.reason, choices: command.choices },
      };
      return;
    case "RequirePermission":
      task(state, command.task_id);
      yield { type: "PERMISSION_REQUIRED", data: { task_id: command.task_id, detail: command.detail } };
      return;
    case "RecordDecision": {
      const { context } = task(state, command.task_id);
      const decision: Candidate = { type: "DECISION_RECORDED", data: { task_id: command.task_id, decision: command.decision } };
      // A retry that waits for its due time (a long Retry-After): a human's retry runs it now.
      if (command.decision === "retry" && context.due_at !== null && !legal(decision)) {
        const now: Candidate = { type: "RECOVERY_EXPEDITED", data: { task_id: command.task_id, next_attempt: context.attempt + 1, waived_due_at: context.due_at } };
        if (legal(now)) {
          yield now;
          return;
        }
      }
      yield decision;
      if (command.decision === "abort") yield* wrapUp(state, legal);
      return;
    }
    case "CancelRun":
      yield { type: "RUN_CANCELLED", data: { reason: command.reason } };
      yield* wrapUp(state, legal);
      return;
    case "InterruptTask": {
      const snapshot = task(state, command.task_id);
      const attempt = command.expired?.attempt ?? snapshot.context.attempt;
      const worker_id = workerIdFor(command.task_id, attempt);
      if (command.expired) {
        // Taken over: the attempt's worker ends by its lease (its holder's claim, judged by the worker machine).
        yield { type: "WORKER_LEASE_EXPIRED", data: { worker_id, task_id: command.task_id, holder: command.expired.holder, by: command.expired.by } };
        yield { type: "TASK_INTERRUPTED", data: { task_id: command.task_id, attempt, reason: command.reason } };
        return;
      }
      const error = { code: "INTERRUPTED", message: command.reason };
      const stopWorker: Candidate = {
        type: "WORKER_FAILED",
        data: { worker_id, task_id: command.task_id, error, exit_code: null, signal: null },
      };
      if (state.workers.has(worker_id) && legal(stopWorker)) yield stopWorker;
      yield { type: "TASK_INTERRUPTED", data: { task_id: command.task_id, attempt, reason: command.reason } };
      return;
    }
    case "Finish":
      yield* wrapUp(state, legal);
      return;
    default: {
      const unhandled: never = command;
      throw new Error(`undecided command ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Why an agent that exited 0 failed all the same: its stream's account. */
function agentError(agent: NonNullable<Extract<Command, { type: "RecordExit" }>["agent"]>) {
  if (agent.stop) return { code: `AGENT_${agent.stop.kind.toUpperCase()}`, message: agent.stop.detail };
  return { code: "AGENT_ERROR", message: agent.result?.text.slice(0, 300) || "the agent's final result is an error" };
}

function exitError(exit_code: number | null, signal: string | null, timed_out: boolean) {
  if (timed_out) return { code: "TIMEOUT", message: "the command timed out" };
  if (signal !== null) return { code: "SIGNAL", message: `killed by ${signal}` };
  return { code: "EXIT", message: `exit ${exit_code}` };
}
