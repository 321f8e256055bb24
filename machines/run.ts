// Pure. A run is a plan machine, a bootstrap machine, one task machine per task and one worker
// machine per attempt. This module routes each event to the machines it concerns, asks them
// whether it is legal (`can`), and folds it in with the machines' pure transition functions.
import {
  PehError,
  type Entity,
  type PehEvent,
  type Plan,
  type RunId,
  type TaskId,
  type WorkerId,
} from "../events/index.js";
import { bootstrapMachine, bootstrapMemo } from "./bootstrap.js";
import { materialize, startLite, stepLite, type Lite, type MemoSpec } from "./lite.js";
import { planMachine, planMemo, type PlanContext } from "./plan.js";
import { stateName } from "./state-name.js";
import { taskMachine, type TaskContext } from "./task.js";
import { taskMemo } from "./task-memo.js";
import { workerMachine, workerMemo, type WorkerContext } from "./worker.js";

/** A machine's state in a run: value, context and status (see lite.ts for why not a snapshot). */
export type PlanSnapshot = Lite<PlanContext>;
export type TaskSnapshot = Lite<TaskContext>;
export type WorkerSnapshot = Lite<WorkerContext>;
export type BootstrapSnapshot = Lite<unknown>;
type AnySnapshot = Lite<unknown>;

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
  };
}

/** Which machine of the run: the plan, the bootstrap, a task or a worker (by id). */
interface Address {
  kind: "plan" | "bootstrap" | "task" | "worker";
  id: string;
}
const PLAN: Address = { kind: "plan", id: "" };
const BOOTSTRAP: Address = { kind: "bootstrap", id: "" };

/** Where an event must be accepted (`judge`) or is only passed on (`observer`). */
interface Delivery {
  address: Address;
  role: "judge" | "observer";
}

/** Which kind of machine an event type belongs to. Exhaustive: a new type must be placed here. */
function kindOf(type: PehEvent["type"]): Kind {
  switch (type) {
    case "PLAN_CREATED":
    case "GATE_APPROVAL_REQUESTED":
    case "GATE_APPROVED":
    case "GATE_MODIFIED":
    case "GATE_CLARIFICATION_REQUESTED":
    case "GATE_REJECTED":
    case "PLAN_CHANGED":
    case "RUN_CANCELLED":
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
      return "worker";
    case "TASK_READY":
    case "TASK_STARTED":
    case "TASK_VERIFYING":
    case "TASK_COMPLETED":
    case "TASK_FAILED":
    case "FAILURE_CLASSIFIED":
    case "RECOVERY_ATTEMPTED":
    case "RECOVERY_EXPEDITED":
    case "RECOVERY_SUCCEEDED":
    case "RECOVERY_ESCALATION":
    case "PERMISSION_REQUIRED":
    case "DECISION_RECORDED":
    case "TASK_SKIPPED":
    case "TASK_INTERRUPTED":
      return "task";
    default: {
      const unhandled: never = type;
      throw new Error(`unrouted event type ${String(unhandled)}`);
    }
  }
}

/** The machine an event belongs to: its kind, and the task or worker id from its data. */
function idOf(kind: Kind, event: PehEvent): string {
  const data = event.data as { task_id?: string; worker_id?: string };
  return kind === "worker" ? data.worker_id! : kind === "task" ? data.task_id! : "";
}

/** The entity an event belongs to, from its type and data: the envelope must agree. */
export function entityOf(event: PehEvent): Entity {
  const kind = kindOf(event.type);
  return nameOf(kind, idOf(kind, event));
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
  "RECOVERY_ATTEMPTED",
  "RECOVERY_EXPEDITED",
  "RECOVERY_ESCALATION",
  "PERMISSION_REQUIRED",
  "DECISION_RECORDED",
]);

/** Events by which a task may settle for its dependents; the task machine's guard decides. */
const SETTLING = new Set<PehEvent["type"]>(["TASK_COMPLETED", "DECISION_RECORDED", "TASK_SKIPPED"]);

type Kind = Address["kind"];
type Visit<T> = (context: T, kind: Kind, id: string, role: Delivery["role"]) => void;

/**
 * Calls `visit` for every machine the event concerns: its own (judge), the plan where it must
 * vouch (judge), the task of a spawning worker (judge), the dependents of a settling task
 * (observers). The one place that routes events. Top-level visitors and plain (kind, id)
 * arguments, no closures or address objects: the fold calls this for every event of long logs.
 */
function route<T>(state: RunState, event: PehEvent, visit: Visit<T>, context: T): void {
  const kind = kindOf(event.type);
  const id = idOf(kind, event);
  visit(context, kind, id, "judge");
  if (kind !== "plan" && PLAN_JUDGES.has(event.type)) visit(context, "plan", "", "judge");
  if (event.type === "WORKER_SPAWNING") visit(context, "task", event.data.task_id, "judge");
  if (event.type === "PLAN_CHANGED") {
    for (const id of touchedBy(state, event.data.plan)) visit(context, "task", id, "judge");
  }
  if (kind === "task" && SETTLING.has(event.type)) {
    for (const dependent of state.dependents.get(id as TaskId) ?? []) visit(context, "task", dependent, "observer");
  }
}

/**
 * The tasks a change mid-run touches, each of which must accept it: those it alters, and those
 * it drops that were not skipped for it first. Tasks it leaves as they were are not asked.
 */
function touchedBy(state: RunState, plan: Plan): TaskId[] {
  const next = new Map(plan.tasks.map((task) => [task.id, task]));
  const touched: TaskId[] = [];
  for (const before of state.plan_spec?.tasks ?? []) {
    const after = next.get(before.id);
    if (after === undefined ? stateName(state.tasks.get(before.id)!.value) !== "skipped" : !sameTask(before, after)) {
      touched.push(before.id);
    }
  }
  return touched;
}

function sameTask(a: Plan["tasks"][number], b: Plan["tasks"][number]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function collect(list: Delivery[], kind: Kind, id: string, role: Delivery["role"]): void {
  list.push({ address: kind === "plan" ? PLAN : kind === "bootstrap" ? BOOTSTRAP : { kind, id }, role });
}

/** The machines `event` is delivered to (to judge it or to observe it), asked before it is folded. */
export function entitiesReachedBy(state: RunState, event: PehEvent): Entity[] {
  return deliveries(state, event).map((delivery) => entityName(delivery.address));
}

function deliveries(state: RunState, event: PehEvent): Delivery[] {
  const list: Delivery[] = [];
  route(state, event, collect, list);
  return list;
}

function get(state: RunState, address: Address): AnySnapshot | undefined {
  return cellAt(state, address.kind, address.id);
}

function cellAt(state: RunState, kind: Kind, id: string): AnySnapshot | undefined {
  switch (kind) {
    case "plan":
      return state.plan;
    case "bootstrap":
      return state.bootstrap;
    case "task":
      return state.tasks.get(id as TaskId);
    case "worker":
      return state.workers.get(id as WorkerId);
  }
}

function put(state: RunState, kind: Kind, id: string, snapshot: AnySnapshot): void {
  switch (kind) {
    case "plan":
      state.plan = snapshot as PlanSnapshot;
      return;
    case "bootstrap":
      state.bootstrap = snapshot as BootstrapSnapshot;
      return;
    case "task":
      state.tasks.set(id as TaskId, snapshot as TaskSnapshot);
      return;
    case "worker":
      state.workers.set(id as WorkerId, snapshot as WorkerSnapshot);
  }
}

const MEMOS = {
  plan: planMemo as MemoSpec<unknown, PehEvent>,
  bootstrap: bootstrapMemo,
  task: taskMemo as MemoSpec<unknown, PehEvent>,
  worker: workerMemo as MemoSpec<unknown, PehEvent>,
};

function entityName(address: Address): Entity {
  return nameOf(address.kind, address.id);
}

function nameOf(kind: Kind, id: string): Entity {
  return kind === "plan" || kind === "bootstrap" ? kind : `${kind}:${id}`;
}

function addressOfEntity(entity: Entity): Address {
  if (entity === "plan") return PLAN;
  if (entity === "bootstrap") return BOOTSTRAP;
  const colon = entity.indexOf(":");
  return { kind: entity.slice(0, colon) as Address["kind"], id: entity.slice(colon + 1) };
}

/** Asks the machine itself whether it accepts `event` in this state. */
function accepts(address: Address, snapshot: AnySnapshot, event: PehEvent): boolean {
  return materialize(MEMOS[address.kind].machine, snapshot).can(event);
}

/** The current state name of an entity's machine, or undefined if it does not exist yet. */
export function entityState(state: RunState, entity: Entity): string | undefined {
  const snapshot = get(state, addressOfEntity(entity));
  return snapshot ? stateName(snapshot.value) : undefined;
}

/** A machine that does not exist before this event creates it. */
function createdBy(state: RunState, event: PehEvent): WorkerSnapshot | undefined {
  if (event.type === "WORKER_SPAWNING" && !state.workers.has(event.data.worker_id)) {
    const { worker_id, task_id, attempt, cwd } = event.data;
    return startLite<WorkerContext>(workerMachine, state.token, { worker_id, task_id, attempt, cwd });
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
    const name = entityName(delivery.address);
    const snapshot = get(state, delivery.address);
    if (snapshot === undefined) {
      if (name === entity && createdBy(state, event)) continue; // created by this event
      return `${name} does not exist`;
    }
    if (!accepts(delivery.address, snapshot, event)) {
      return `${event.type} is not allowed for ${name} in state ${stateName(snapshot.value)}`;
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

const NO_EFFECTS: Effect[] = Object.freeze([]) as unknown as Effect[];

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
export function evolve(state: RunState, event: PehEvent, collect = true): Effect[] {
  const created = createdBy(state, event);
  if (created && event.type === "WORKER_SPAWNING") state.workers.set(event.data.worker_id, created);
  const folding: Folding = { state, event, effects: NO_EFFECTS, collect };
  route(state, event, deliver, folding);
  if (event.type === "PLAN_CREATED" || event.type === "GATE_MODIFIED" || event.type === "PLAN_CHANGED") {
    adoptPlan(state, event.data.plan, event.type === "PLAN_CHANGED" ? event.data.settled : undefined);
  }
  if (event.type === "PLAN_CREATED") {
    state.run_id = event.run_id;
    state.workspace = event.data.workspace;
  }
  state.seq = event.seq;
  state.at = event.at;
  return folding.effects;
}

interface Folding {
  state: RunState;
  event: PehEvent;
  effects: Effect[];
  /** Whether to gather the effects (replay ignores them: a long log need not build them). */
  collect: boolean;
}

/** Steps one machine of the run by the event being folded. */
function deliver(folding: Folding, kind: Kind, id: string): void {
  const { state, event } = folding;
  const cell = cellAt(state, kind, id);
  if (!cell) return;
  // Copy-on-write: change in place only a cell this state owns.
  const into = cell.owner === state.token ? cell : { ...cell, owner: state.token };
  const before = cell.value;
  // An observer that does not accept the event stays as it is: the step changes nothing.
  const actions = stepLite(MEMOS[kind], cell, into, event);
  if (into !== cell) put(state, kind, id, into);
  if (state.recheck.all) {
    // Every task is asked at the next turn already (and a fold from the start stays so).
  } else if (kind === "task") {
    state.recheck = recheckAlso(state, id as TaskId);
  } else if (kind === "plan" && into.value !== before && stateName(into.value) !== stateName(before)) {
    state.recheck = RECHECK_ALL;
  }
  if (!folding.collect) return;
  for (const action of actions) {
    if (action.type.startsWith("xstate.")) continue;
    if (folding.effects === NO_EFFECTS) folding.effects = [];
    folding.effects.push({ entity: nameOf(kind, id), action: action.type, params: action.params });
  }
}

/**
 * A new plan version. Before execution every task machine starts anew. During execution
 * (PLAN_CHANGED, with the tasks `settled` by then) tasks that stay keep their machines, which
 * the change has already stepped; tasks it dropped (skipped first) leave the run; tasks it adds
 * start counting the dependencies that have settled.
 */
function adoptPlan(state: RunState, plan: Plan, settled: readonly TaskId[] | undefined): void {
  state.plan_spec = plan;
  state.recheck = RECHECK_ALL;
  if (settled === undefined) state.tasks.clear();
  else {
    const kept = new Set(plan.tasks.map((task) => task.id));
    for (const id of [...state.tasks.keys()]) if (!kept.has(id)) state.tasks.delete(id);
  }
  state.dependents.clear();
  for (const task of plan.tasks) {
    if (!state.tasks.has(task.id)) state.tasks.set(task.id, startLite<TaskContext>(taskMachine, state.token, { task, recovery: plan.recovery, settled }));
    for (const dependency of task.depends_on) {
      const list = state.dependents.get(dependency) ?? [];
      list.push(task.id);
      state.dependents.set(dependency, list);
    }
  }
}

/** Folds a whole log. */
export function foldRun(events: Iterable<PehEvent>, state: RunState = initialRunState()): RunState {
  for (const event of events) evolve(state, event, false);
  return state;
}
