// Pure. The checks of a task's `writable` request, lexically: each a path peh reads as written
// (absolute, or relative to the workspace), never into the store, and worth asking for (a path
// its scope already lets it write is pointless: a warning, since it grants nothing more).
import type { PlanFile, Problem } from "../../../events/index.js";
import { normalPath, pathWithin } from "../../../machines/grants.js";
import type { Add } from "./scope-check.js";

/** `$HOME`, `${DIR}`: a shell would expand them; peh takes a path as written. */
const VARIABLE = /\$[A-Za-z_{]/;

/** The store of the runs, in the workspace: no task may write it, whatever the approval says. */
const STORE = ".peh";

/** `warning`: the severity of a pointless path ("error" under --strict). */
export function checkWritable(task: PlanFile["tasks"][number], i: number, workspace: string, add: Add, warning: Problem["severity"] = "warning"): void {
  const paths = task.writable ?? [];
  const root = normalPath(workspace);
  for (let j = 0; j < paths.length; j++) {
    const path = paths[j]!;
    const at = ["tasks", i, "writable", j];
    const invalid = (why: string, fix: string) => add("error", "WRITABLE_INVALID", at, `task "${task.id}": writable path "${path}" ${why}`, fix, task.id);
    if (path.trim() === "") {
      invalid("is blank", "remove it, or give an absolute path or one relative to the workspace");
      continue;
    }
    if (path.includes("\0")) {
      invalid("holds a NUL byte (\\0), which no path can carry", "remove the NUL byte");
      continue;
    }
    if (path.startsWith("~")) {
      invalid("starts with ~, which is not expanded (a plan is read on other machines)",
        "give the absolute path; what an agent command needs in your home (its config directory) belongs in agent.grants of your user config");
      continue;
    }
    if (VARIABLE.test(path)) {
      invalid("holds a variable, which is not expanded", "give an absolute path, or one relative to the workspace");
      continue;
    }
    // Relative to the workspace, as a path inside it when it is one (`/w/app/out` → `out`).
    const normal = normalPath(path);
    const inWorkspace = normal.startsWith("/") ? (pathWithin(root, normal) ? relativeTo(root, normal) : undefined) : normal;
    if (inWorkspace !== undefined && pathWithin(STORE, inWorkspace)) {
      invalid(`is inside the store (${STORE}/), which holds the runs' logs: no task may write it, with or without approval`,
        "write the task's output elsewhere, e.g. a directory of the workspace");
      continue;
    }
    const scope = scopeOf(task);
    if (inWorkspace !== undefined && scope !== undefined && pathWithin(scope, inWorkspace)) {
      add(warning, "WRITABLE_IN_SCOPE", at, `task "${task.id}": writable path "${path}" is inside its own scope (${scope === "." ? "the workspace" : scope}), which it may write already`,
        "remove it from writable: it grants nothing more, and asking for it makes the task risky for nothing", task.id);
    }
  }
}

/** What the task's scope lets it write, relative to the workspace: `.` for all of it. */
function scopeOf(task: PlanFile["tasks"][number]): string | undefined {
  if (task.scope === "workspace") return ".";
  const path = task.scope_path ?? undefined;
  return path === undefined || path.trim() === "" ? undefined : normalPath(path);
}

function relativeTo(root: string, path: string): string {
  if (path === root) return ".";
  return path.slice(root === "/" ? 1 : root.length + 1);
}
