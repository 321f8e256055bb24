// Pure. A run is a plan machine, a bootstrap machine, one task machine per task and one worker
// machine per attempt. This module asks the machines an event is routed to whether it is legal
// (`can`), and folds it in with the machines' pure transition functions.
import { PehError, type Entity, type PehEvent, type Plan, type TaskId, type WorkerId } from "../../events/index.js";
import { bootstrapMemo } from "../bootstrap.js";
import { materialize, startLite, stepLite, type Lite, type MemoSpec } from "../memo/lite.js";
import { planMemo } from "../memo/plan-memo.js";
import { reusableIn, reuseOf } from "../reuse.js";
import {
  addressOfEntity,
  deliveries,
  entityName,
  entityMatches,
  entityOf,
  nameOf,
  route,
  type Address,
  type Kind,
} from "./run-route.js";
import { RECHECK_ALL, initialRunState, recheckAlso, type BootstrapSnapshot, type PlanSnapshot, type RunState, type TaskSnapshot, type WorkerSnapshot } from "./run-state.js";
import { stateName } from "./state-name.js";
import { taskMachine, type TaskContext } from "../task.js";
import { taskMemo } from "../memo/task-memo.js";
import { workerMachine, workerMemo, type WorkerContext } from "../worker.js";

export * from "./run-state.js";
export { entitiesReachedBy, entityOf } from "./run-route.js";

type AnySnapshot = Lite<unknown>;

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

/**
 * Why `event` cannot stand right after `state` whatever the machines say: its seq, its run, its
 * entity, a second plan, a second worker of one id. Cheap: the checked fold asks it of every event.
 */
function whyMisplaced(state: RunState, event: PehEvent): string | undefined {
  if (event.seq !== state.seq + 1) return `seq ${event.seq} does not follow ${state.seq}`;
  if (state.run_id !== null && event.run_id !== state.run_id) return `event of run ${event.run_id} in run ${state.run_id}`;
  if (!entityMatches(event)) return `${event.type} belongs to ${entityOf(event)}, not ${event.entity}`;
  if (event.type === "PLAN_CREATED" && state.run_id !== null) return "the run already has a plan";
  if (event.type === "WORKER_SPAWNING" && state.workers.has(event.data.worker_id)) {
    return `worker ${event.data.worker_id} already exists`;
  }
  return undefined;
}

/** Why `event` may not be appended now, or undefined if it may. Asks the machines. */
export function whyIllegal(state: RunState, event: PehEvent): string | undefined {
  const misplaced = whyMisplaced(state, event);
  if (misplaced !== undefined) return misplaced;
  const entity = entityOf(event);
  for (const delivery of deliveries(state, event)) {
    if (delivery.role !== "judge") continue;
    const name = entityName(delivery.address);
    const snapshot = get(state, delivery.address);
    if (snapshot === undefined) {
      if (name === entity && createdBy(state, event)) continue; // created by this event
      return `${name} does not exist`;
    }
    if (!accepts(delivery.address, snapshot, event)) return notAllowed(event, name, snapshot);
  }
  return undefined;
}

function notAllowed(event: PehEvent, name: string, snapshot: AnySnapshot): string {
  return `${event.type} is not allowed for ${name} in state ${stateName(snapshot.value)}`;
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
 * Folds one event into the run, in place, through the machines' pure `transition()`, without
 * judging it: for an event the decider has just judged (`whyIllegal`). Returns the named effects
 * the transitions ask for (the runtime executes them; replay ignores them).
 */
export function evolve(state: RunState, event: PehEvent, collect = true): Effect[] {
  return fold(state, event, collect, false);
}

/**
 * Folds one event read from a log, judging it as `whyIllegal` would have before it was appended:
 * a log edited by hand, or written by a bug, must not be believed. Throws STORE_CORRUPT naming
 * the seq and what is wrong (the caller adds where the log is); the state is then unusable. The
 * machines' answers are memoized with their steps, so the check costs a comparison per judge.
 */
export function evolveChecked(state: RunState, event: PehEvent, collect = true): Effect[] {
  return fold(state, event, collect, true);
}

function fold(state: RunState, event: PehEvent, collect: boolean, check: boolean): Effect[] {
  if (check) {
    const misplaced = whyMisplaced(state, event);
    if (misplaced !== undefined) throw illegalInLog(event, misplaced);
  }
  const created = createdBy(state, event);
  if (created && event.type === "WORKER_SPAWNING") state.workers.set(event.data.worker_id, created);
  const folding: Folding = { state, event, effects: NO_EFFECTS, collect, check, created };
  route(state, event, deliver, folding);
  if (event.type === "PLAN_CREATED") {
    state.lineage = event.data.lineage ?? null;
    state.reuse = reuseOf(event.data.lineage, event.data.plan);
  }
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

function illegalInLog(event: PehEvent, why: string): PehError {
  return new PehError(
    "STORE_CORRUPT",
    `the event at seq ${event.seq} (${event.type}) cannot stand where it is: ${why}`,
    "restore the log from a backup, or move the run aside; peh never rewrites a log",
    { seq: event.seq, run_id: event.run_id },
  );
}

interface Folding {
  state: RunState;
  event: PehEvent;
  effects: Effect[];
  /** Whether to gather the effects (replay ignores them: a long log need not build them). */
  collect: boolean;
  /** Whether every judge must accept the event (a log being read), else it was judged already. */
  check: boolean;
  /** The worker this event creates: it is not asked to accept its own creation. */
  created: WorkerSnapshot | undefined;
}

/** Steps one machine of the run by the event being folded. */
function deliver(folding: Folding, kind: Kind, id: string, role: "judge" | "observer"): void {
  const { state, event } = folding;
  const cell = cellAt(state, kind, id);
  if (!cell) {
    if (folding.check && role === "judge") throw illegalInLog(event, `${nameOf(kind, id)} does not exist`);
    return;
  }
  // Copy-on-write: change in place only a cell this state owns.
  const into = cell.owner === state.token ? cell : { ...cell, owner: state.token };
  const before = cell.value;
  // An observer that does not accept the event stays as it is: the step changes nothing.
  const step = stepLite(MEMOS[kind], cell, into, event);
  if (folding.check && role === "judge" && !step.accepted && cell !== folding.created) {
    throw illegalInLog(event, notAllowed(event, nameOf(kind, id), { ...into, value: before }));
  }
  if (into !== cell) put(state, kind, id, into);
  if (state.recheck.all) {
    // Every task is asked at the next turn already (and a fold from the start stays so).
  } else if (kind === "task") {
    state.recheck = recheckAlso(state, id as TaskId);
  } else if (kind === "plan" && into.value !== before && stateName(into.value) !== stateName(before)) {
    state.recheck = RECHECK_ALL;
  }
  if (!folding.collect) return;
  for (const action of step.actions) {
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
  const reusable = reusableIn(state.reuse, plan);
  for (const task of plan.tasks) {
    if (!state.tasks.has(task.id)) {
      state.tasks.set(task.id, startLite<TaskContext>(taskMachine, state.token, { task, recovery: plan.recovery, settled, reusable: reusable.has(task.id), isolation: plan.isolation }));
    }
    for (const dependency of task.depends_on) {
      const list = state.dependents.get(dependency) ?? [];
      list.push(task.id);
      state.dependents.set(dependency, list);
    }
  }
}

/**
 * Folds a whole log (or the rest of one, onto `state`), judging every event where it stands:
 * throws STORE_CORRUPT at the first one the machines would not have accepted (see `evolveChecked`).
 */
export function foldRun(events: Iterable<PehEvent>, state: RunState = initialRunState()): RunState {
  for (const event of events) fold(state, event, false, true);
  return state;
}
