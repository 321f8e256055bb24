// Pure. A run is a plan machine, a bootstrap machine, one task machine per task and one worker
// machine per attempt. This module routes each event to the machines it concerns, asks them
// whether it is legal (`can`), and folds it in with the pure `transition()`.
import { initialTransition, transition, type SnapshotFrom } from "xstate";
import {
  PehError,
  type Entity,
  type PehEvent,
  type Plan,
  type RunId,
  type TaskId,
  type WorkerId,
} from "../events/index.js";
import { bootstrapMachine } from "./bootstrap.js";
import { planMachine } from "./plan.js";
import { stateName } from "./state-name.js";
import { taskMachine } from "./task.js";
import { workerMachine } from "./worker.js";

export type PlanSnapshot = SnapshotFrom<typeof planMachine>;
export type TaskSnapshot = SnapshotFrom<typeof taskMachine>;
export type WorkerSnapshot = SnapshotFrom<typeof workerMachine>;
export type BootstrapSnapshot = SnapshotFrom<typeof bootstrapMachine>;
type AnySnapshot = PlanSnapshot | TaskSnapshot | WorkerSnapshot | BootstrapSnapshot;

export interface RunState {
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
}

export function initialRunState(): RunState {
  return {
    run_id: null,
    seq: 0,
    at: null,
    workspace: null,
    plan_spec: null,
    plan: initialTransition(planMachine)[0],
    bootstrap: initialTransition(bootstrapMachine)[0],
    tasks: new Map(),
    workers: new Map(),
    dependents: new Map(),
  };
}

/** Where an event must be accepted (`judge`) or is only passed on (`observer`). */
interface Delivery {
  entity: Entity;
  snapshot: AnySnapshot | undefined;
  role: "judge" | "observer";
}

/** The entity an event belongs to, from its type and data: the envelope must agree. */
export function entityOf(event: PehEvent): Entity {
  switch (event.type) {
    case "PLAN_CREATED":
    case "GATE_APPROVAL_REQUESTED":
    case "GATE_APPROVED":
    case "GATE_MODIFIED":
    case "GATE_CLARIFICATION_REQUESTED":
    case "GATE_REJECTED":
    case "PLAN_CHANGED":
    case "EXECUTION_COMPLETE":
      return "plan";
    case "BOOTSTRAP_PHASE_STARTED":
    case "BOOTSTRAP_PHASE_COMPLETED":
    case "BOOTSTRAP_PHASE_FAILED":
      return "bootstrap";
    case "WORKER_SPAWNING":
    case "WORKER_TRUST_REQUIRED":
    case "WORKER_TRUST_RESOLVED":
    case "WORKER_READY":
    case "WORKER_RUNNING":
    case "WORKER_FINISHED":
    case "WORKER_FAILED":
      return `worker:${event.data.worker_id}`;
    case "TASK_READY":
    case "TASK_STARTED":
    case "TASK_VERIFYING":
    case "TASK_COMPLETED":
    case "TASK_FAILED":
    case "FAILURE_CLASSIFIED":
    case "RECOVERY_ATTEMPTED":
    case "RECOVERY_SUCCEEDED":
    case "RECOVERY_ESCALATION":
    case "PERMISSION_REQUIRED":
    case "DECISION_RECORDED":
    case "TASK_SKIPPED":
    case "TASK_INTERRUPTED":
      return `task:${event.data.task_id}`;
    default: {
      const unhandled: never = event;
      throw new Error(`unrouted event ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Task events that the plan must vouch for: it only lets work start while it executes. */
const PLAN_JUDGES = new Set<PehEvent["type"]>([
  "BOOTSTRAP_PHASE_STARTED",
  "BOOTSTRAP_PHASE_COMPLETED",
  "BOOTSTRAP_PHASE_FAILED",
  "TASK_READY",
  "TASK_STARTED",
  "WORKER_SPAWNING",
  "TASK_SKIPPED",
  "RECOVERY_ESCALATION",
  "PERMISSION_REQUIRED",
  "DECISION_RECORDED",
]);

/** Events by which a task may settle for its dependents; the task machine's guard decides. */
const SETTLING = new Set<PehEvent["type"]>(["TASK_COMPLETED", "DECISION_RECORDED", "TASK_SKIPPED"]);

function deliveries(state: RunState, event: PehEvent): Delivery[] {
  const entity = entityOf(event);
  const list: Delivery[] = [{ entity, snapshot: snapshotOf(state, entity), role: "judge" }];
  if (entity !== "plan" && PLAN_JUDGES.has(event.type)) list.push({ entity: "plan", snapshot: state.plan, role: "judge" });
  if (event.type === "WORKER_SPAWNING") {
    const task: Entity = `task:${event.data.task_id}`;
    list.push({ entity: task, snapshot: snapshotOf(state, task), role: "judge" });
  }
  if (SETTLING.has(event.type) && "task_id" in event.data) {
    for (const dependent of state.dependents.get(event.data.task_id as TaskId) ?? []) {
      const task: Entity = `task:${dependent}`;
      list.push({ entity: task, snapshot: snapshotOf(state, task), role: "observer" });
    }
  }
  return list;
}

function snapshotOf(state: RunState, entity: Entity): AnySnapshot | undefined {
  if (entity === "plan") return state.plan;
  if (entity === "bootstrap") return state.bootstrap;
  if (entity.startsWith("task:")) return state.tasks.get(entity.slice(5) as TaskId);
  return state.workers.get(entity.slice(7) as WorkerId);
}

function logicOf(entity: Entity) {
  if (entity === "plan") return planMachine;
  if (entity === "bootstrap") return bootstrapMachine;
  return entity.startsWith("task:") ? taskMachine : workerMachine;
}

/** The current state name of an entity's machine, or undefined if it does not exist yet. */
export function entityState(state: RunState, entity: Entity): string | undefined {
  const snapshot = snapshotOf(state, entity);
  return snapshot ? stateName(snapshot.value) : undefined;
}

/** A machine that does not exist before this event creates it. */
function createdBy(state: RunState, event: PehEvent): WorkerSnapshot | undefined {
  if (event.type === "WORKER_SPAWNING" && !state.workers.has(event.data.worker_id)) {
    const { worker_id, task_id, attempt, cwd } = event.data;
    return initialTransition(workerMachine, { worker_id, task_id, attempt, cwd })[0];
  }
  return undefined;
}

/** Why `event` may not be appended now, or undefined if it may. Asks the machines. */
export function whyIllegal(state: RunState, event: PehEvent): string | undefined {
  if (event.seq !== state.seq + 1) return `seq ${event.seq} does not follow ${state.seq}`;
  if (state.run_id !== null && event.run_id !== state.run_id) return `event of run ${event.run_id} in run ${state.run_id}`;
  const entity = entityOf(event);
  if (event.entity !== entity) return `${event.type} belongs to ${entity}, not ${event.entity}`;
  if (event.type === "PLAN_CREATED" && state.run_id !== null) return "the run already has a plan";
  if (event.type === "WORKER_SPAWNING" && state.workers.has(event.data.worker_id)) {
    return `worker ${event.data.worker_id} already exists`;
  }
  for (const delivery of deliveries(state, event)) {
    if (delivery.role !== "judge") continue;
    const snapshot = delivery.snapshot ?? createdBy(state, event);
    if (!snapshot) return `${delivery.entity} does not exist`;
    if (delivery.snapshot === undefined && delivery.entity === entity) continue; // created by this event
    if (!(snapshot as { can(event: PehEvent): boolean }).can(event)) {
      return `${event.type} is not allowed for ${delivery.entity} in state ${stateName(snapshot.value)}`;
    }
  }
  return undefined;
}

/** Throws ILLEGAL_TRANSITION unless the machines accept `event` now. */
export function assertLegal(state: RunState, event: PehEvent): void {
  const why = whyIllegal(state, event);
  if (why !== undefined) {
    throw new PehError("ILLEGAL_TRANSITION", `${event.type} (seq ${event.seq}) refused: ${why}`, undefined, { event });
  }
}

export interface Effect {
  entity: Entity;
  action: string;
  params?: unknown;
}

/**
 * Folds one event into the run, in place, through the machines' pure `transition()`. The log
 * holds only legal events, so replay does not re-check; `whyIllegal` is for new events.
 * Returns the named effects the transitions ask for (the runtime executes them; replay ignores).
 */
export function evolve(state: RunState, event: PehEvent): Effect[] {
  const effects: Effect[] = [];
  const created = createdBy(state, event);
  if (created && event.type === "WORKER_SPAWNING") state.workers.set(event.data.worker_id, created);
  for (const delivery of deliveries(state, event)) {
    const snapshot = delivery.snapshot ?? snapshotOf(state, delivery.entity);
    if (!snapshot) continue;
    if (delivery.role === "observer" && !(snapshot as { can(event: PehEvent): boolean }).can(event)) continue;
    const [next, actions] = transition(logicOf(delivery.entity) as never, snapshot as never, event as never) as [
      AnySnapshot,
      { type: string; params?: unknown }[],
    ];
    put(state, delivery.entity, next);
    for (const action of actions) {
      if (!action.type.startsWith("xstate.")) effects.push({ entity: delivery.entity, action: action.type, params: action.params });
    }
  }
  if (event.type === "PLAN_CREATED" || event.type === "GATE_MODIFIED" || event.type === "PLAN_CHANGED") {
    adoptPlan(state, event.data.plan, event.type !== "PLAN_CHANGED");
  }
  if (event.type === "PLAN_CREATED") {
    state.run_id = event.run_id;
    state.workspace = event.data.workspace;
  }
  state.seq = event.seq;
  state.at = event.at;
  return effects;
}

function put(state: RunState, entity: Entity, snapshot: AnySnapshot): void {
  if (entity === "plan") state.plan = snapshot as PlanSnapshot;
  else if (entity === "bootstrap") state.bootstrap = snapshot as BootstrapSnapshot;
  else if (entity.startsWith("task:")) state.tasks.set(entity.slice(5) as TaskId, snapshot as TaskSnapshot);
  else state.workers.set(entity.slice(7) as WorkerId, snapshot as WorkerSnapshot);
}

/**
 * A new plan version. Before execution (`fresh`) every task machine starts anew; during execution
 * (PLAN_CHANGED) tasks that exist keep their machines, so a change never touches a task that ran.
 */
function adoptPlan(state: RunState, plan: Plan, fresh: boolean): void {
  state.plan_spec = plan;
  if (fresh) state.tasks.clear();
  state.dependents.clear();
  for (const task of plan.tasks) {
    if (!state.tasks.has(task.id)) state.tasks.set(task.id, initialTransition(taskMachine, { task })[0]);
    for (const dependency of task.depends_on) {
      const list = state.dependents.get(dependency) ?? [];
      list.push(task.id);
      state.dependents.set(dependency, list);
    }
  }
}

/** Folds a whole log. */
export function foldRun(events: Iterable<PehEvent>, state: RunState = initialRunState()): RunState {
  for (const event of events) evolve(state, event);
  return state;
}
