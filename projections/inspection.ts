// Pure. A run as an inspection stream (what the Stately inspector draws): every machine of the
// run appears once as an actor with its definition (plan and bootstrap first, tasks with their
// plan, workers as they spawn), then each event of the log, in order, is sent to the machine it
// belongs to, followed by the new snapshot of every machine it moved.
import type { AnyStateMachine } from "xstate";
import type { PehEvent } from "../events/index.js";
import { bootstrapMachine } from "../machines/bootstrap.js";
import { planMachine } from "../machines/plan.js";
import { entitiesReachedBy, evolveChecked, initialRunState, type RunState } from "../machines/fold/run.js";
import { taskMachine } from "../machines/task.js";
import { workerMachine } from "../machines/worker.js";

export interface InspectedSnapshot {
  value: unknown;
  context: unknown;
  status: string;
}

export type InspectionStep =
  | { kind: "actor"; sessionId: string; machine: AnyStateMachine; parentId: string | undefined; snapshot: InspectedSnapshot }
  | { kind: "event"; sessionId: string; event: { type: string } & Record<string, unknown>; seq: number }
  | { kind: "snapshot"; sessionId: string; snapshot: InspectedSnapshot; event: { type: string } & Record<string, unknown> };

type Cell = { value: unknown; context: unknown; status: string };
const snap = (cell: Cell): InspectedSnapshot => ({ value: cell.value, context: cell.context, status: cell.status });

/** Follows a run event by event; `next(event)` says what the inspector is to be told. */
export class Inspection {
  private readonly state: RunState = initialRunState();
  private readonly known = new Map<string, Cell>();
  private started = false;

  constructor(private readonly runId: string) {}

  private id(entity: string): string {
    return `${this.runId}/${entity}`;
  }

  /** The steps for one more event of the log. */
  next(event: PehEvent): InspectionStep[] {
    const steps: InspectionStep[] = [];
    if (!this.started) {
      this.started = true;
      steps.push(...this.appear("plan", planMachine, undefined, this.state.plan));
      steps.push(...this.appear("bootstrap", bootstrapMachine, this.id("plan"), this.state.bootstrap));
    }
    const sent = { type: event.type, seq: event.seq, at: event.at, actor: event.actor, data: event.data };
    // Only the machines the event reaches can change, except a new plan version, which may
    // start (or restart) every task machine.
    const versioned = event.type === "PLAN_CREATED" || event.type === "GATE_MODIFIED" || event.type === "PLAN_CHANGED";
    const reached = versioned ? undefined : entitiesReachedBy(this.state, event);
    evolveChecked(this.state, event); // a followed log is judged as a read one is
    // A machine that this event creates appears before the event is sent to it.
    if (versioned) {
      for (const [id, cell] of this.state.tasks) {
        if (!this.known.has(`task:${id}`)) steps.push(...this.appear(`task:${id}`, taskMachine, this.id("plan"), cell));
      }
    }
    if (event.type === "WORKER_SPAWNING" && !this.known.has(`worker:${event.data.worker_id}`)) {
      const cell = this.state.workers.get(event.data.worker_id)!;
      steps.push(...this.appear(`worker:${event.data.worker_id}`, workerMachine, this.id(`task:${cell.context.task_id}`), cell));
    }
    steps.push({ kind: "event", sessionId: this.id(event.entity), event: sent, seq: event.seq });
    for (const [entity, cell] of reached ? this.cellsOf(reached) : this.cells()) {
      const before = this.known.get(entity);
      if (before && before.value === cell.value && before.context === cell.context && before.status === cell.status) continue;
      this.known.set(entity, snap(cell));
      steps.push({ kind: "snapshot", sessionId: this.id(entity), snapshot: snap(cell), event: sent });
    }
    return steps;
  }

  private appear(entity: string, machine: AnyStateMachine, parentId: string | undefined, cell: Cell): InspectionStep[] {
    // A copy: the fold changes the cells it owns in place.
    this.known.set(entity, snap(cell));
    return [{ kind: "actor", sessionId: this.id(entity), machine, parentId, snapshot: snap(cell) }];
  }

  private *cellsOf(entities: readonly string[]): Generator<[string, Cell]> {
    for (const entity of entities) {
      const cell = entity === "plan" ? this.state.plan : entity === "bootstrap" ? this.state.bootstrap : entity.startsWith("task:") ? this.state.tasks.get(entity.slice(5) as never) : this.state.workers.get(entity.slice(7) as never);
      if (cell) yield [entity, cell];
    }
  }

  private *cells(): Generator<[string, Cell]> {
    yield ["plan", this.state.plan];
    yield ["bootstrap", this.state.bootstrap];
    for (const [id, cell] of this.state.tasks) yield [`task:${id}`, cell];
    for (const [id, cell] of this.state.workers) yield [`worker:${id}`, cell];
  }
}
