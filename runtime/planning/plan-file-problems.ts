// Pure. Every problem of a plan file in one report: the schema problems of the parts that fail
// the schema, and the semantic problems (duplicate ids, unknown dependencies, cycles, scopes,
// checks …) of everything that can still be read. Fixing a file takes one round, not two.
import { z } from "zod";
import { PlanTaskSchema, TaskIdSchema, type PlanFile, type PlanTask, type Problem, type TaskId } from "../../events/index.js";
import type { LoadedPlanFile } from "./plan-file.js";
import { validatePlan, type ValidateOptions } from "./validate.js";

/** What a task that fails the schema still takes part in: its id and its dependencies count. */
const GRAPH_CODES = new Set<Problem["code"]>(["DUPLICATE_ID", "UNKNOWN_DEPENDENCY", "CYCLE"]);

const DependsOnSchema = z.array(TaskIdSchema).default([]);

/**
 * The problems that block (or warn about) a loaded plan file: none beyond validation's own when
 * it passed the schema (validate the plan then), else its schema problems together with the
 * semantic problems of what can be read, task by task (the plan's own first, cycles last).
 */
export function planFileProblems(loaded: LoadedPlanFile, options: ValidateOptions): Problem[] {
  if (loaded.plan !== undefined || loaded.value === undefined) return loaded.problems;
  const readable = readablePart(loaded.value);
  if (!readable) return loaded.problems;
  const semantic = validatePlan(readable.plan, { ...options, locate: loaded.locate }).filter((problem) => {
    const task = taskIndex(problem);
    return task === undefined || !readable.unreadable.has(task) || GRAPH_CODES.has(problem.code);
  });
  const order = (problem: Problem) => (problem.code === "CYCLE" ? Number.POSITIVE_INFINITY : taskIndex(problem) ?? -1);
  return [...loaded.problems, ...semantic].map((problem, k) => ({ problem, k })).sort((a, b) => order(a.problem) - order(b.problem) || a.k - b.k).map(({ problem }) => problem);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The plan as far as it reads: every task that passes the schema as it is, and in the place of
 * each one that does not, a stand-in with its id and dependencies (where those parse), so that
 * positions, lines and the dependency graph stay the file's.
 */
function readablePart(value: unknown): { plan: PlanFile; unreadable: Set<number> } | undefined {
  if (!isRecord(value) || !Array.isArray(value.tasks)) return undefined;
  const unreadable = new Set<number>();
  const tasks = value.tasks.map((raw: unknown, i): PlanTask => {
    const parsed = PlanTaskSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    unreadable.add(i);
    const fields = isRecord(raw) ? raw : {};
    const id = TaskIdSchema.safeParse(fields.id);
    const depends_on = DependsOnSchema.safeParse(fields.depends_on);
    return {
      // An id that does not parse is one no other task can name.
      id: (id.success ? id.data : `#${i + 1}`) as TaskId,
      objective: "(fails the schema)",
      scope: "workspace",
      acceptance_tests: ["true"],
      depends_on: depends_on.success ? depends_on.data : [],
      idempotent: true,
    };
  });
  // An objective that fails the schema is reported by it; the stand-in is judged by nothing.
  const objective = typeof value.objective === "string" && value.objective !== "" ? value.objective : "(fails the schema)";
  return { plan: { objective, tasks }, unreadable };
}

function taskIndex(problem: Problem): number | undefined {
  const match = /^tasks\[(\d+)\]/.exec(problem.path ?? "");
  return match ? Number(match[1]) : undefined;
}
