// Which tasks a scheduling turn of the orchestrator visits, and each task's place in the plan
// (`[Task i/n]`). Derived from the run's state; never saved.
import type { Plan, PlanTask, TaskId } from "../../events/index.js";
import { recheckedTasks, type RunState } from "../../machines/fold/run.js";

/**
 * The current plan's task positions, and the tasks a turn visits: in plan order at first, each
 * dropped once it settles or is seen waiting for a dependency, taken back once the scheduler
 * readies it (takeBackReadied); rebuilt when the plan changes or the run is read anew. A turn
 * visits the tasks that may start, not every task of a 10k-task plan.
 */
export class PlanIndex {
  private indexed?: { spec: Plan | null; position: Map<TaskId, number>; unsettled: Map<TaskId, PlanTask>; dependents?: Map<TaskId, PlanTask[]> };

  of(state: RunState): { position: Map<TaskId, number>; unsettled: Map<TaskId, PlanTask> } {
    const spec = state.plan_spec;
    if (this.indexed?.spec !== spec) {
      const tasks = spec?.tasks ?? [];
      this.indexed = { spec, position: new Map(tasks.map((t, i) => [t.id, i])), unsettled: new Map(tasks.map((t) => [t.id, t])) };
    }
    return this.indexed;
  }

  /**
   * A task ended: the tasks that depend on it are visited again, whichever turn readies them. A
   * turn decided in the same append as the task's end (Orchestrator.command) is followed by other
   * commands of that append, so the recheck list right after it is not there to read.
   */
  takeBackDependents(state: RunState, id: TaskId): void {
    const indexed = this.of(state) as NonNullable<PlanIndex["indexed"]>;
    if (!indexed.dependents) {
      indexed.dependents = new Map();
      for (const task of state.plan_spec?.tasks ?? []) {
        for (const dependency of task.depends_on) indexed.dependents.set(dependency, [...(indexed.dependents.get(dependency) ?? []), task]);
      }
    }
    for (const task of indexed.dependents.get(id) ?? []) indexed.unsettled.set(task.id, task);
  }

  /** `[Task i/n]`: the task's place in the current plan. */
  numbered(state: RunState, task: PlanTask): { index: number; total: number } {
    return { index: (this.of(state).position.get(task.id) ?? -1) + 1, total: state.plan_spec?.tasks.length ?? 0 };
  }

  /** Every task visited again: other workers' events (many workers on one run) ready tasks too. */
  revisitAll(): void {
    this.indexed = undefined;
  }

  /**
   * After a scheduler turn, the tasks it readied are visited again. Only a turn readies a task
   * that waits for a dependency, and right after it the run's recheck list names the tasks the
   * turn readied (machines/fold/run.ts, Recheck), or says `all` (then every task is visited again).
   */
  takeBackReadied(state: RunState): void {
    const { recheck, plan_spec } = state;
    if (recheck.all) {
      this.indexed = undefined;
      return;
    }
    const { position, unsettled } = this.of(state);
    for (const id of recheckedTasks(recheck.ids)) {
      const at = position.get(id);
      if (at !== undefined) unsettled.set(id, plan_spec!.tasks[at]!);
    }
  }
}
