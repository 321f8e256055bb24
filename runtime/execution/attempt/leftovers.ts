// Tasks a run finds under way with no process of this peh behind them: caught running by a crash
// (their orphaned process groups are killed first), or left when a human cancels the run. Each is
// recorded interrupted, and the machines decide what follows.
import { workerIdFor, type PlanTask } from "../../../events/index.js";
import { mayHandle } from "../../../machines/memo/lite.js";
import { planMachine } from "../../../machines/plan.js";
import { stateName } from "../../../machines/fold/state-name.js";
import { interruptionReason } from "./attempt-support.js";
import { now } from "../clock.js";
import type { RunContext } from "./run-context.js";

/** A worker in these states had its process started, or about to be, when the run stopped. */
const ACTIVE_WORKER = new Set(["spawning", "trust_resolved", "running"]);

/**
 * A task caught mid-attempt by a crash is interrupted; the machine decides what may follow.
 * Its process groups, orphaned by the dead orchestrator, are killed first so that they cannot
 * finish their side effect while the task runs again (or its checks, caught `verifying`).
 */
export async function interruptCaught(run: RunContext, tasks: readonly PlanTask[]): Promise<void> {
  for (const task of tasks) {
    const attempt = run.state.tasks.get(task.id)?.context.attempt ?? 0;
    const worker = run.state.workers.get(workerIdFor(task.id, attempt));
    const orphans = workerIdFor(task.id, attempt);
    // A task caught `verifying` had its command finish and recorded: only its checks re-run.
    if (run.taskState(task.id) === "verifying") await run.pids.killOrphans(orphans);
    const caught = run.taskState(task.id) === "running" && worker !== undefined && ACTIVE_WORKER.has(stateName(worker.value));
    if (!caught) continue;
    const { reason, orphan } = interruptionReason(await run.pids.killOrphans(orphans));
    await run.command({ type: "InterruptTask", at: now(), task_id: task.id, reason });
    run.note(`${task.id} was interrupted by a crash; ${task.idempotent ? "it runs again" : `it is not idempotent (${orphan}): a human decides`}`);
    // A human decides unless the run is being aborted (cancelled): then it is skipped.
    if (!task.idempotent && mayHandle(planMachine, run.state.plan.value, "RECOVERY_ESCALATION")) {
      await run.command({ type: "Escalate", at: now(), task_id: task.id, class: null, reason: `interrupted and not idempotent: ${orphan}` });
    }
  }
}

/**
 * After a cancel, once nothing of this peh runs: a task still under way (waiting for trust, or
 * caught by a crash) is recorded interrupted, and a failure not yet classified is classified
 * (`classify`), so that every task can settle and the run end.
 */
export async function settleForCancel(run: RunContext, tasks: readonly PlanTask[], classify: (task: PlanTask) => Promise<void>): Promise<void> {
  for (const task of tasks) {
    const state = run.taskState(task.id);
    if (state === "running" || state === "verifying") await run.command({ type: "InterruptTask", at: now(), task_id: task.id, reason: "the run was cancelled" });
    else if (state === "classifying") await classify(task);
  }
}
