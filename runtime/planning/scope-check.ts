// Pure (the file system enters as injected functions). The checks of a task's scope: a
// scope_path where the scope needs one, that stays inside the workspace, lexically and through
// symlinks.
import { dirname, isAbsolute, normalize, relative, resolve, sep } from "node:path";
import type { Problem, ProblemCode, PlanFile } from "../../events/index.js";

/** Where validation collects a problem. */
export type Add = (severity: Problem["severity"], code: ProblemCode, path: (string | number)[], message: string, fix: string, task_id?: string) => void;

/** What the scope checks need of validation's options. */
export interface ScopeOptions {
  workspace: string;
  realpath?: ((path: string) => string | undefined) | undefined;
}

/** The start of a path that climbs out of its root. */
const PARENT = `..${sep}`;

export function checkScope(task: PlanFile["tasks"][number], i: number, options: ScopeOptions, add: Add): void {
  const path = task.scope_path ?? undefined;
  if (task.scope !== "workspace" && (path === undefined || path.trim() === "")) {
    add("error", "SCOPE_PATH_MISSING", ["tasks", i, "scope_path"], `task "${task.id}" has scope "${task.scope}" but no scope_path`,
      'set scope_path to a path relative to the workspace, e.g. "src/dashboard", or use scope: workspace', task.id);
    return;
  }
  if (path === undefined) return;
  if (isAbsolute(path)) {
    add("error", "SCOPE_ESCAPE", ["tasks", i, "scope_path"], `task "${task.id}": scope_path "${path}" is absolute`, "make it relative to the workspace", task.id);
    return;
  }
  // Only a path with ".." in it can climb out lexically; skip normalizing the rest (big plans).
  const normalized = path.includes("..") ? normalize(path) : path;
  if (normalized === ".." || normalized.startsWith(PARENT)) {
    add("error", "SCOPE_ESCAPE", ["tasks", i, "scope_path"], `task "${task.id}": scope_path "${path}" leaves the workspace`, "use a path inside the workspace, without ..", task.id);
    return;
  }
  if (!options.realpath) return;
  const realWorkspace = options.realpath(options.workspace) ?? options.workspace;
  // A path that does not exist yet escapes if its deepest existing ancestor does (a symlink out
  // of the workspace with a directory to be created below it).
  let probe = resolve(options.workspace, normalized);
  let real = options.realpath(probe);
  while (real === undefined && dirname(probe) !== probe && isInside(options.workspace, dirname(probe))) {
    probe = dirname(probe);
    real = options.realpath(probe);
  }
  if (real !== undefined && !isInside(realWorkspace, real)) {
    add("error", "SCOPE_ESCAPE", ["tasks", i, "scope_path"], `task "${task.id}": scope_path "${path}" resolves through a symlink to ${real}, outside the workspace`,
      "point scope_path at a real directory inside the workspace", task.id);
  }
}

/** Component by component: `/w/app` contains `/w/app/src` but not `/w/app-evil`. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(PARENT) && rel !== ".." && !isAbsolute(rel));
}
