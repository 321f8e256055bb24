// Pure (the file system enters as an injected ScopeFs). Validates a plan and returns every
// problem at once, each with the task, where it is and how to fix it. Errors block the plan;
// warnings do not, unless `strict`.
import type { PlanFile, Problem, ProblemCode } from "../../events/index.js";
import { compressEdges, findCyclesIndexed } from "./cycles.js";
import { checkCwd, checkScope, type Add } from "./scope/scope-check.js";
import { memoScopeFs, realWorkspace, type ScopeFs } from "./scope/scope-escape.js";
import { checkWritable } from "./scope/writable-check.js";

export { isInside } from "./scope/scope-escape.js";
import { checkRunFields } from "./validate-run.js";

export interface ValidateOptions {
  /** The workspace the plan runs in (absolute). */
  workspace: string;
  /** Warnings become errors. */
  strict?: boolean;
  /** Reads symlinks and what is at a path (nodeScopeFs); without it, scopes are checked lexically only. */
  fs?: ScopeFs;
  /** The line of a field in the plan file, when it came from one. */
  locate?: (path: (string | number)[]) => number | undefined;
  /** Whether the workspace is in a git repository (isolation: worktree needs one); unchecked when absent. */
  git?: boolean;
}

const VAGUE = /\b(optimi[sz]e|improve|fix|clean[ -]?up|refactor|enhance|tidy|polish|make (it )?better|update)\b/i;
/** Something concrete: a path, a file, a name in code, a number, a quoted or backticked thing. */
const CONCRETE = /[/\\.`'"]|\d|[a-z][A-Z]|\w_\w|#\w/;


const FILLER = new Set(["the", "a", "an", "it", "this", "that", "things", "stuff", "code", "everything", "all", "some", "our", "of", "to", "and", "up"]);

/**
 * A vague objective has a vague verb (optimize, improve, fix, clean up …) and no concrete object:
 * nothing like a path, name or number, and at most two meaningful words after the verb.
 */
export function isVague(objective: string): boolean {
  const verb = VAGUE.exec(objective);
  if (!verb) return false;
  if (CONCRETE.test(objective)) return false;
  const rest = objective.slice(verb.index + verb[0].length).toLowerCase().split(/\W+/).filter((word) => word && !FILLER.has(word));
  return rest.length <= 2;
}

export function validatePlan(plan: PlanFile, options: ValidateOptions): Problem[] {
  let problems: Problem[] = [];
  /** The task each problem is about (-1: the plan), to list them task by task at the end. */
  const taskOf: number[] = [];
  const warning = options.strict ? "error" : "warning";
  const add = (severity: Problem["severity"], code: ProblemCode, path: (string | number)[], message: string, fix: string, task_id?: string) => {
    const line = options.locate?.(path);
    taskOf.push(path[0] === "tasks" && typeof path[1] === "number" ? path[1] : -1);
    problems.push({
      severity,
      code,
      ...(task_id === undefined ? {} : { task_id }),
      path: path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join(""),
      ...(line === undefined ? {} : { line }),
      message,
      fix,
    });
  };

  const count = plan.tasks.length;
  if (count === 0) {
    add("error", "TASK_COUNT", ["tasks"], "the plan has no tasks: there is nothing to approve or run", `add the steps of the work as tasks, e.g. ${EXAMPLE_TASK}`);
  } else if (count < 3 || count > 7) {
    add(warning, "TASK_COUNT", ["tasks"], `the plan has ${count} task${count === 1 ? "" : "s"}; a reviewable plan has 3 to 7`,
      count < 3 ? "split the work into at least 3 concrete, testable steps" : "group related steps so that 3 to 7 remain, or split the plan");
  }
  if (isVague(plan.objective)) {
    add(warning, "VAGUE_OBJECTIVE", ["objective"], `the objective "${plan.objective}" does not name what changes`,
      "name the concrete object: a file, a module, an endpoint, a measurable target");
  }
  checkRunFields(plan, undefined, add);
  if (options.git === false) checkIsolation(plan, add);

  // First pass: the table from id to the task's first position (duplicates, dependencies and
  // cycles use it), and every check that needs only the task itself, made while the task's
  // fields are in the CPU's cache (a 100k-task plan is not, and a second visit costs misses).
  const position = new Map<string, number>();
  const owner = new Int32Array(count);
  // The file system is asked once per path, and the workspace resolved once, for the whole plan.
  const fs = options.fs && memoScopeFs(options.fs);
  const scope = { workspace: options.workspace, fs, realWorkspace: fs && realWorkspace(options.workspace, fs) };
  let edgeCount = 0;
  plan.tasks.forEach((task, i) => {
    const first = position.get(task.id);
    edgeCount += task.depends_on.length;
    if (first === undefined) position.set(task.id, (owner[i] = i));
    else {
      owner[i] = first;
      add("error", "DUPLICATE_ID", ["tasks", i, "id"], `task id "${task.id}" is used more than once`, `rename one of them, e.g. "${task.id}-${i + 1}"`, task.id);
    }
    if (task.acceptance_tests.length === 0 && task.run === undefined) {
      add("error", "NO_CHECK", ["tasks", i], `task "${task.id}" has no pass/fail check: no acceptance_tests and no run`,
        'add acceptance_tests (shell commands that exit 0 on success), e.g. ["test -f dist/index.js"]', task.id);
    }
    if (isVague(task.objective)) {
      add(warning, "VAGUE_OBJECTIVE", ["tasks", i, "objective"], `task "${task.id}": the objective "${task.objective}" does not name what changes`,
        "name the concrete object: a file, a function, a command, a measurable target", task.id);
    }
    checkNulBytes(task, i, add);
    checkRunFields(task, i, add);
    checkScope(task, i, scope, add);
    if (task.writable !== undefined) checkWritable(task, i, options.workspace, add, warning);
    checkCwd(task, i, scope, add);
    if (task.confirm !== undefined) checkConfirm(task, i, add);
  });

  // Second pass, once every id is known: the dependencies, as edges between first positions (a
  // duplicate's dependencies count for the id it repeats) in flat arrays, not 100k small ones.
  const from = new Int32Array(edgeCount);
  const to = new Int32Array(edgeCount);
  edgeCount = 0;
  plan.tasks.forEach((task, i) => {
    for (let j = 0; j < task.depends_on.length; j++) {
      const dependency = task.depends_on[j]!;
      const target = position.get(dependency);
      if (target !== undefined) {
        from[edgeCount] = owner[i]!;
        to[edgeCount++] = target;
        continue;
      }
      const guess = closest(dependency, position.keys());
      add("error", "UNKNOWN_DEPENDENCY", ["tasks", i, "depends_on", j], `task "${task.id}" depends on "${dependency}", which is not a task of this plan`,
        guess ? `did you mean "${guess}"?` : `add a task with id "${dependency}" or remove the dependency`, task.id);
    }
  });
  // The two passes each went task by task; the reader gets one list, task by task.
  if (problems.length > 1) {
    const listed = problems.map((problem, k) => ({ problem, k, task: taskOf[k]! }));
    problems = listed.sort((a, b) => a.task - b.task || a.k - b.k).map(({ problem }) => problem);
  }

  for (const cycle of findCyclesIndexed(compressEdges(count, from, to, edgeCount))) {
    const ids = cycle.map((i) => plan.tasks[i]!.id);
    add("error", "CYCLE", ["tasks", cycle[0]!, "depends_on"], `dependency cycle: ${ids.join(" → ")} (each depends on the next)`,
      `remove one of these dependencies, e.g. "${ids[1]}" from the depends_on of "${ids[0]}"`, ids[0]);
  }
  return problems;
}

/** A task in plan-file form, for the fixes that show one. */
export const EXAMPLE_TASK = '{ id: build, objective: "Compile to dist/", scope: workspace, run: "npm run build", acceptance_tests: ["test -f dist/index.js"] }';

/**
 * Phrases anyone types without reading: a risky task's phrase must name what it approves. Compared
 * trimmed, in lower case, without the punctuation around it.
 */
const GENERIC_PHRASES = new Set([
  "", "y", "yes", "yep", "yeah", "yup", "ok", "okay", "k", "sure", "true", "1", "approve", "approved", "confirm", "confirmed",
  "accept", "accepted", "agree", "allow", "go", "go ahead", "proceed", "continue", "do it", "ship it", "lgtm", "+1", "done", "y/n", "yes/no",
]);

export function isGenericPhrase(phrase: string): boolean {
  return GENERIC_PHRASES.has(phrase.trim().toLowerCase().replace(/^[\s"'`.!?,;:]+|[\s"'`.!?,;:]+$/g, "").replace(/\s+/g, " "));
}

function checkConfirm(task: PlanFile["tasks"][number], i: number, add: Add): void {
  if (!isGenericPhrase(task.confirm!)) return;
  add("error", "GENERIC_CONFIRM", ["tasks", i, "confirm"], `task "${task.id}": confirm "${task.confirm}" is a generic yes, and a generic yes never approves a risky task`,
    `write a phrase that names what is approved, e.g. "deploy 2.4.1 to production"`, task.id);
}

/** A NUL byte cannot reach a shell or a path: the command or path would be cut at it. */
function checkNulBytes(task: PlanFile["tasks"][number], i: number, add: Add): void {
  // Checked field by field, allocating nothing unless one is found (plans of 100k tasks).
  if (task.run?.includes("\0")) reportNul(task, add, ["tasks", i, "run"]);
  if (task.scope_path?.includes("\0")) reportNul(task, add, ["tasks", i, "scope_path"]);
  if (task.cwd?.includes("\0")) reportNul(task, add, ["tasks", i, "cwd"]);
  const tests = task.acceptance_tests;
  for (let j = 0; j < tests.length; j++) if (tests[j]!.includes("\0")) reportNul(task, add, ["tasks", i, "acceptance_tests", j]);
}

function reportNul(task: PlanFile["tasks"][number], add: Add, path: (string | number)[]): void {
  add("error", "SCHEMA", path, `task "${task.id}": ${path[2]} holds a NUL byte (\\0), which no shell or path can carry`,
    "remove the NUL byte (a \\u0000 or \\0 escape in the plan file)", task.id);
}

/** The known id (or name) closest to `wanted` (edit distance ≤ 2), for a "did you mean". */
export function closest(wanted: string, ids: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const id of ids) {
    if (Math.abs(id.length - wanted.length) >= bestDistance) continue;
    const distance = editDistance(wanted, id);
    if (distance < bestDistance) [best, bestDistance] = [id, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** `isolation: worktree` needs a git repository: said once for the plan, and for each task asking for it. */
function checkIsolation(plan: PlanFile, add: Add): void {
  const fix = "run `git init` and commit your files, or set isolation: none";
  if (plan.isolation === "worktree" && plan.tasks.some((task) => task.isolation === undefined)) {
    add("error", "ISOLATION_NEEDS_GIT", ["isolation"], "the plan asks for isolation: worktree, and the workspace is not in a git repository", fix);
  }
  plan.tasks.forEach((task, i) => {
    if (task.isolation !== "worktree") return;
    add("error", "ISOLATION_NEEDS_GIT", ["tasks", i, "isolation"], `task "${task.id}" asks for isolation: worktree, and the workspace is not in a git repository`, fix, task.id);
  });
}
