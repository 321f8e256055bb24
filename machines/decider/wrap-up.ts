// Pure. How a run ends: when the plan aborts, every task that has not run is skipped (those
// downstream of a failure as upstream_failed), and once every task is settled the outcome is
// recorded with its counts. Candidates only; the decider checks each with the machines.
import type { Plan, TaskId } from "../../events/index.js";
import type { Candidate, Legality } from "./candidate.js";
import type { RunState } from "../fold/run.js";
import { stateName } from "../fold/state-name.js";

/**
 * Ends the run when nothing is left to do. If the plan is aborting, every task that has not run
 * is skipped first: those downstream of a failure as `upstream_failed`, the rest as `aborted`.
 * Yields nothing while a task is still under way.
 */
export function* wrapUp(state: RunState, legal: Legality): Generator<Candidate, void, unknown> {
  const plan = state.plan_spec;
  if (plan && stateName(state.plan.value) === "aborting") {
    const failed = new Set<TaskId>();
    for (const spec of plan.tasks) {
      const cell = state.tasks.get(spec.id);
      const name = cell ? stateName(cell.value) : "";
      if (name === "failed" || name === "awaiting_decision") failed.add(spec.id);
    }
    for (const spec of orderByDependencies(plan)) {
      const upstream = spec.depends_on.some((dep) => failed.has(dep));
      const reason = upstream ? "upstream_failed" : "aborted";
      const candidate: Candidate = { type: "TASK_SKIPPED", data: { task_id: spec.id, reason } };
      if (legal(candidate)) {
        if (upstream) failed.add(spec.id);
        yield candidate;
      }
    }
  }
  const snapshots = [...state.tasks.values()];
  if (snapshots.some((snapshot) => snapshot.status !== "done")) return;
  const count = (name: string) => snapshots.filter((snapshot) => stateName(snapshot.value) === name).length;
  const counts = {
    succeeded: count("succeeded"),
    failed: count("failed"),
    skipped: count("skipped"),
    upstream_failed: count("upstream_failed"),
    // Rerun (issue 22): named only when a task was taken over, so other runs' counts stay as they were.
    ...(count("reused") > 0 ? { reused: count("reused") } : {}),
  };
  const phase = stateName(state.plan.value);
  const outcome = phase === "aborting" ? "aborted" : counts.failed + counts.upstream_failed > 0 ? "failed" : "completed";
  yield { type: "EXECUTION_COMPLETE", data: { outcome, counts } };
}

/** Tasks with every dependency before its dependents (plan order among equals). */
export function orderByDependencies(plan: Pick<Plan, "tasks">): Plan["tasks"] {
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const placed = new Set<TaskId>();
  const order: Plan["tasks"] = [];
  const visit = (id: TaskId, trail: Set<TaskId>) => {
    const spec = byId.get(id);
    if (!spec || placed.has(id) || trail.has(id)) return;
    trail.add(id);
    for (const dep of spec.depends_on) visit(dep, trail);
    placed.add(id);
    order.push(spec);
  };
  for (const spec of plan.tasks) visit(spec.id, new Set());
  return order;
}

