// Pure. Edits of a plan that make a new version: skip (remove) a task, move one before or after
// another, add a task. Each returns a new plan and a one-line description for GATE_MODIFIED.
import { PehError, type PlanFile, type PlanTask, type TaskId } from "../../events/index.js";

function find(plan: PlanFile, id: string): PlanTask {
  const task = plan.tasks.find((t) => t.id === id);
  if (!task) {
    throw new PehError("USAGE", `the plan has no task "${id}"`, `its tasks are: ${plan.tasks.map((t) => t.id).join(", ")}`);
  }
  return task;
}

/** Removes a task; its dependents inherit its dependencies, so the order around it holds. */
export function skipTask(plan: PlanFile, id: string): { plan: PlanFile; change: string } {
  const skipped = find(plan, id);
  const tasks = plan.tasks
    .filter((task) => task.id !== id)
    .map((task) =>
      task.depends_on.includes(skipped.id)
        ? { ...task, depends_on: unique([...task.depends_on.filter((d) => d !== skipped.id), ...skipped.depends_on]) }
        : task,
    );
  return { plan: { ...plan, tasks }, change: `skip ${id}` };
}

/**
 * `move A after B`: A runs after B (A depends on B) and is listed after it. `move A before B`:
 * B depends on A. A dependency the other way round is dropped, so the move cannot make a cycle
 * between the two.
 */
export function moveTask(plan: PlanFile, id: string, where: "before" | "after", other: string): { plan: PlanFile; change: string } {
  find(plan, id);
  find(plan, other);
  if (id === other) throw new PehError("USAGE", `cannot move "${id}" ${where} itself`);
  const [first, second] = where === "after" ? [other, id] : [id, other];
  const rewired = plan.tasks.map((task) => {
    if (task.id === second) return { ...task, depends_on: unique([...task.depends_on, first as TaskId]) };
    if (task.id === first) return { ...task, depends_on: task.depends_on.filter((d) => d !== second) };
    return task;
  });
  const moving = rewired.find((t) => t.id === id)!;
  const rest = rewired.filter((t) => t.id !== id);
  const anchor = rest.findIndex((t) => t.id === other);
  rest.splice(where === "after" ? anchor + 1 : anchor, 0, moving);
  return { plan: { ...plan, tasks: rest }, change: `move ${id} ${where} ${other}` };
}

/** Appends a task for `objective`, after `after` (default: the last task). */
export function addTask(plan: PlanFile, objective: string, after?: string, acceptance?: string[]): { plan: PlanFile; change: string } {
  if (after !== undefined) find(plan, after);
  const base = slugify(objective) || "task";
  let id = base;
  for (let n = 2; plan.tasks.some((t) => t.id === id); n++) id = `${base}-${n}`;
  const previous = after ?? plan.tasks.at(-1)?.id;
  const task: PlanTask = {
    id: id as TaskId,
    objective,
    scope: "workspace",
    agent: objective,
    depends_on: previous ? [previous as TaskId] : [],
    acceptance_tests: acceptance ?? [`test -s docs/peh/${id}.md`],
    idempotent: true,
  };
  return { plan: { ...plan, tasks: [...plan.tasks, task] }, change: `add ${id}${previous ? ` after ${previous}` : ""}` };
}

const unique = <T>(values: T[]): T[] => [...new Set(values)];

const STOP = new Set(["a", "an", "the", "to", "of", "for", "in", "on", "and", "with", "into", "from", "by"]);

/** `Add dark mode to the dashboard` → `dark-mode-dashboard`: short, stable, id-safe. */
export function slugify(text: string): string {
  const words = text
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, " ")
    .split(/\s+/)
    .filter((word) => word && !STOP.has(word));
  const slug = words.slice(0, 4).join("-").slice(0, 40).replace(/-+$/, "");
  return /^[a-z0-9]/.test(slug) ? slug : "";
}
