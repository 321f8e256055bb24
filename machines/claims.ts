// Pure. Claims of attempts when many workers execute one run (`peh worker` on a shared store):
// who holds an attempt (its worker machine's WORKER_CLAIMED), and the plan's concurrency cap,
// which holds across every worker because a start is decided against the whole log at the
// expected version: two workers racing for the last slot cannot both append.
import { PehError, workerIdFor, type TaskId, type WorkerId } from "../events/index.js";
import type { RunState } from "./fold/run-state.js";
import { stateName } from "./fold/state-name.js";

/** Task states whose attempt is under way: each takes one of the plan's slots. */
const UNDER_WAY = new Set(["running", "verifying", "merging", "classifying"]);

/** How many of the run's tasks have an attempt under way, whoever executes them. */
export function underWay(state: RunState): number {
  let count = 0;
  for (const task of state.tasks.values()) if (UNDER_WAY.has(stateName(task.value))) count++;
  return count;
}

/** Whether the task's current attempt is under way (it holds a slot, and a claim if it was claimed). */
export function isUnderWay(state: RunState, id: TaskId): boolean {
  const task = state.tasks.get(id);
  return task !== undefined && UNDER_WAY.has(stateName(task.value));
}

/** How many more attempts may start now under the plan's cap (Infinity without one). */
export function slotsLeft(state: RunState): number {
  const cap = state.plan_spec?.concurrency;
  return cap === undefined ? Infinity : Math.max(0, cap - underWay(state));
}

/** A start beyond the plan's cap is refused (the caller waits for a slot). */
export function refuseOverCap(state: RunState, id: TaskId): void {
  if (slotsLeft(state) > 0) return;
  throw new PehError(
    "ILLEGAL_TRANSITION",
    `StartAttempt refused: ${id} would pass the plan's concurrency cap (${state.plan_spec?.concurrency} under way)`,
    "it starts when an attempt under way ends",
  );
}

/** A task state whose attempt still needs its holder: under way, or failed and not yet recovered. */
const HELD = new Set([...UNDER_WAY, "classified"]);
/** Worker states that wait for a human (trust), not for their holder: whoever is told carries on. */
const WAITING_FOR_HUMAN = new Set(["trust_required"]);

export interface Claim {
  attempt: number;
  holder: string;
  lease_ms: number;
  worker: WorkerId;
}

/**
 * Who claimed the task's current attempt while its holder still has to carry it on; undefined
 * under `peh run` (nothing is claimed), or while the attempt waits for a human's trust.
 */
export function claimOf(state: RunState, id: TaskId): Claim | undefined {
  const task = state.tasks.get(id);
  if (!task || !HELD.has(stateName(task.value))) return undefined;
  const attempt = task.context.attempt;
  const worker = workerIdFor(id, attempt);
  const cell = state.workers.get(worker);
  if (!cell || WAITING_FOR_HUMAN.has(stateName(cell.value))) return undefined;
  const { holder, lease_ms } = cell.context;
  if (holder === undefined || lease_ms === undefined) return undefined;
  return { attempt, holder, lease_ms, worker };
}
