// Pure. Routing: which machines of a run an event concerns, each as a judge (it must accept the
// event) or an observer (it is only told), and the entity names of those machines.
import type { Entity, PehEvent, Plan, TaskId } from "../../events/index.js";
import type { RunState } from "./run-state.js";
import { stateName } from "./state-name.js";

/** Which machine of the run: the plan, the bootstrap, a task or a worker (by id). */
export interface Address {
  kind: "plan" | "bootstrap" | "task" | "worker";
  id: string;
}
export const PLAN: Address = { kind: "plan", id: "" };
export const BOOTSTRAP: Address = { kind: "bootstrap", id: "" };

/** Where an event must be accepted (`judge`) or is only passed on (`observer`). */
export interface Delivery {
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
    case "RUN_BRANCH_STARTED":
    case "RUN_LANDED":
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
    case "WORKER_CLAIMED":
    case "WORKER_LEASE_EXPIRED":
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
    case "RUN_BUDGET_SPENT":
    case "DECISION_RECORDED":
    case "TASK_SKIPPED":
    case "TASK_INTERRUPTED":
    case "TASK_REUSED":
    case "WORKTREE_CREATED":
    case "TASK_COMMITTED":
    case "TASK_REBASED":
    case "TASK_MERGED":
    case "WORKTREE_ARCHIVED":
    case "WORKTREE_REMOVED":
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

/** Whether the event's envelope names the entity its type and data say (`entityOf`), without building the name. */
export function entityMatches(event: PehEvent): boolean {
  const kind = kindOf(event.type);
  if (kind === "plan" || kind === "bootstrap") return event.entity === kind;
  const id = idOf(kind, event);
  const entity = event.entity;
  return entity.length === kind.length + 1 + id.length && entity.startsWith(kind) && entity.charCodeAt(kind.length) === 58 && entity.endsWith(id);
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
  "RUN_BUDGET_SPENT",
  "DECISION_RECORDED",
  "TASK_REUSED",
]);

/** Events by which a task may settle for its dependents; the task machine's guard decides. */
const SETTLING = new Set<PehEvent["type"]>(["TASK_COMPLETED", "DECISION_RECORDED", "TASK_SKIPPED", "TASK_REUSED"]);

export type Kind = Address["kind"];
type Visit<T> = (context: T, kind: Kind, id: string, role: Delivery["role"]) => void;

/**
 * Calls `visit` for every machine the event concerns: its own (judge), the plan where it must
 * vouch (judge), the task of a spawning worker (judge), the dependents of a settling task
 * (observers). The one place that routes events. Top-level visitors and plain (kind, id)
 * arguments, no closures or address objects: the fold calls this for every event of long logs.
 */
export function route<T>(state: RunState, event: PehEvent, visit: Visit<T>, context: T): void {
  const kind = kindOf(event.type);
  const id = idOf(kind, event);
  visit(context, kind, id, "judge");
  if (kind !== "plan" && PLAN_JUDGES.has(event.type)) visit(context, "plan", "", "judge");
  if (event.type === "WORKER_SPAWNING") visit(context, "task", event.data.task_id, "judge");
  // What an attempt's agent spent: the plan holds the run's budget (issue 21).
  if ((event.type === "TASK_VERIFYING" || event.type === "TASK_FAILED") && event.data.agent !== undefined) visit(context, "plan", "", "observer");
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

export function deliveries(state: RunState, event: PehEvent): Delivery[] {
  const list: Delivery[] = [];
  route(state, event, collect, list);
  return list;
}

export function entityName(address: Address): Entity {
  return nameOf(address.kind, address.id);
}

export function nameOf(kind: Kind, id: string): Entity {
  return kind === "plan" || kind === "bootstrap" ? kind : `${kind}:${id}`;
}

export function addressOfEntity(entity: Entity): Address {
  if (entity === "plan") return PLAN;
  if (entity === "bootstrap") return BOOTSTRAP;
  const colon = entity.indexOf(":");
  return { kind: entity.slice(0, colon) as Address["kind"], id: entity.slice(colon + 1) };
}
