// Pure. The state of a run: one light cell per machine (plan, bootstrap, tasks, workers), the plan
// as recorded, and the scheduler's hint of which tasks to ask about next (derived, never saved).
import type { Lineage, Plan, RunId, TaskId, WorkerId } from "../../events/index.js";
import { bootstrapMachine } from "../bootstrap.js";
import { startLite, type Lite } from "../memo/lite.js";
import { planMachine, type PlanContext } from "../plan.js";
import type { Reuse } from "../reuse.js";
import type { TaskContext } from "../task.js";
import type { WorkerContext } from "../worker.js";

/** A machine's state in a run: value, context and status (see lite.ts for why not a snapshot). */
export type PlanSnapshot = Lite<PlanContext>;
export type TaskSnapshot = Lite<TaskContext>;
export type WorkerSnapshot = Lite<WorkerContext>;
export type BootstrapSnapshot = Lite<unknown>;

export interface RunState {
  /** Owns the cells this state may change in place; a clone gets a new one (copy-on-write). */
  token: object;
  run_id: RunId | null;
  /** The seq of the last event folded in: the version an append must expect. */
  seq: number;
  /** The time of the last event folded in (machines have no clock; this is the log's). */
  at: string | null;
  workspace: string | null;
  /** The current version of the plan, as recorded. */
  plan_spec: Plan | null;
  plan: PlanSnapshot;
  bootstrap: BootstrapSnapshot;
  tasks: Map<TaskId, TaskSnapshot>;
  workers: Map<WorkerId, WorkerSnapshot>;
  /** task → the tasks that depend on it, for delivering settling events. */
  dependents: Map<TaskId, TaskId[]>;
  /** The tasks the scheduler asks about TASK_READY at its next turn (derived, never saved). */
  recheck: Recheck;
  /** Where the run came from (PLAN_CREATED's lineage): a rerun's or a fork's source. */
  lineage: Lineage | null;
  /** A rerun's recorded results it may take over (machines/reuse.ts); null for any other run. */
  reuse: Reuse | null;
}

/** Task ids, newest first; a draft adds one in O(1) and shares the rest with the state it copies. */
export interface TaskList {
  readonly id: TaskId;
  readonly next: TaskList | null;
}

/**
 * Which tasks may have become ready since the scheduler's last turn. Only a task's own machine
 * and the plan judge TASK_READY, so a task can have become ready only if its machine has been
 * stepped since (`ids`), or the plan's state changed or a plan was adopted (`all`). Without it,
 * every turn of the scheduler asked every task: quadratic in the plan's size. A hint derived as
 * events are folded, never saved: a state that is loaded or folded anew starts at `all`.
 */
export type Recheck = { readonly all: true } | { readonly all: false; readonly ids: TaskList | null; readonly length: number };
export const RECHECK_ALL: Recheck = { all: true };
export const RECHECK_NONE: Recheck = { all: false, ids: null, length: 0 };

/**
 * The state's list with `id` added. A list longer than the run has tasks (and a little slack)
 * becomes `all`, which then costs the scheduler about as much: a state that folds many events
 * between two turns (a long-lived service) keeps no list longer than its tasks.
 */
export function recheckAlso(state: RunState, id: TaskId): Recheck {
  const { recheck } = state;
  if (recheck.all) return recheck;
  if (recheck.length >= state.tasks.size + 64) return RECHECK_ALL;
  return { all: false, ids: { id, next: recheck.ids }, length: recheck.length + 1 };
}

/** The distinct ids of a recheck list, oldest first by the last time each machine was stepped. */
export function recheckedTasks(ids: TaskList | null): TaskId[] {
  const newestFirst = new Set<TaskId>();
  for (let at = ids; at !== null; at = at.next) newestFirst.add(at.id);
  return [...newestFirst].reverse();
}

export function initialRunState(): RunState {
  const token = {};
  return {
    token,
    run_id: null,
    seq: 0,
    at: null,
    workspace: null,
    plan_spec: null,
    plan: startLite<PlanContext>(planMachine, token),
    bootstrap: startLite(bootstrapMachine, token),
    tasks: new Map(),
    workers: new Map(),
    dependents: new Map(),
    recheck: RECHECK_ALL,
    lineage: null,
    reuse: null,
  };
}
