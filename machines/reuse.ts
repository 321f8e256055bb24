// Pure. Rerun (DESIGN §15, issue 22): which tasks of a rerun take over their source's recorded
// result. Recorded once, in the rerun's PLAN_CREATED (its lineage); a task stays reusable only
// while its definition is the one planned then and everything it depends on is reused too (a
// result built on an upstream that runs afresh would be stale).
import type { Lineage, Plan, PlanTask, ReusedResult, RunId, TaskId } from "../events/index.js";

export interface Reuse {
  source_run: RunId;
  results: ReadonlyMap<TaskId, ReusedResult>;
  /** Each reused task's definition as the rerun was planned (JSON). */
  specs: ReadonlyMap<TaskId, string>;
}

/** The reuse a rerun's PLAN_CREATED records (null for any other run). */
export function reuseOf(lineage: Lineage | undefined, plan: Pick<Plan, "tasks">): Reuse | null {
  if (lineage?.kind !== "rerun" || lineage.reused.length === 0) return null;
  const byId = new Map(plan.tasks.map((task) => [task.id, task]));
  return {
    source_run: lineage.source_run,
    results: new Map(lineage.reused.map((result) => [result.task_id, result])),
    specs: new Map(lineage.reused.map((result) => [result.task_id, JSON.stringify(byId.get(result.task_id) ?? null)])),
  };
}

/** The tasks of `plan` that may take over their source's result. */
export function reusableIn(reuse: Reuse | null, plan: Pick<Plan, "tasks">): Set<TaskId> {
  const reusable = new Set<TaskId>();
  if (reuse === null) return reusable;
  const byId = new Map(plan.tasks.map((task) => [task.id, task]));
  const verdict = new Map<TaskId, boolean>();
  const judge = (task: PlanTask, trail: Set<TaskId>): boolean => {
    const known = verdict.get(task.id);
    if (known !== undefined) return known;
    if (trail.has(task.id)) return false;
    trail.add(task.id);
    const ok =
      reuse.results.has(task.id) &&
      reuse.specs.get(task.id) === JSON.stringify(task) &&
      task.depends_on.every((id) => byId.has(id) && judge(byId.get(id)!, trail));
    verdict.set(task.id, ok);
    if (ok) reusable.add(task.id);
    return ok;
  };
  for (const task of plan.tasks) judge(task, new Set());
  return reusable;
}
