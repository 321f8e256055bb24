// Pure (the file system enters as a ScopeFs). The checks of a task's place: a scope_path where
// the scope needs one and none where it would be ignored, and a `cwd` if it has one, each written
// as a path peh reads as it is, inside the workspace (lexically and through symlinks), naming
// what the scope says it is (a cwd: a directory).
import { isAbsolute, normalize, resolve, sep } from "node:path";
import type { Problem, ProblemCode, PlanFile } from "../../../events/index.js";
import { scopeEscape, type ScopeFs } from "./scope-escape.js";

/** Where validation collects a problem. */
export type Add = (severity: Problem["severity"], code: ProblemCode, path: (string | number)[], message: string, fix: string, task_id?: string) => void;

/** What the scope checks need of validation's options. */
export interface ScopeOptions {
  workspace: string;
  /** Without it, only the lexical checks run. */
  fs?: ScopeFs | undefined;
  /** The workspace with its symlinks resolved (asked once per plan). */
  realWorkspace?: string | undefined;
}

/** The start of a path that climbs out of its root. */
const PARENT = `..${sep}`;

/** `$HOME`, `${DIR}`: a shell would expand them; peh takes a scope_path as written. */
const VARIABLE = /\$[A-Za-z_{]/;

/** What is wrong with a path that must be relative to the workspace and inside it, as written. */
interface Lexical {
  /** It leaves the workspace (absolute, or through ..): a SCOPE_ESCAPE. */
  escape: boolean;
  /** What the path does, after `scope_path "…" `. */
  what: string;
  fix: string;
}

function lexicalProblem(path: string): Lexical | undefined {
  if (path.startsWith("~")) {
    return { escape: false, what: 'starts with ~, which is not expanded (it would name a directory called "~")', fix: "~ is not expanded; give a path relative to the workspace" };
  }
  if (VARIABLE.test(path)) return { escape: false, what: "holds a variable, which is not expanded", fix: "variables are not expanded; give a path relative to the workspace" };
  if (isAbsolute(path)) return { escape: true, what: "is absolute", fix: "make it relative to the workspace" };
  // Only a path with ".." in it can climb out lexically; skip normalizing the rest (big plans).
  const normalized = path.includes("..") ? normalize(path) : path;
  if (normalized === ".." || normalized.startsWith(PARENT)) return { escape: true, what: "leaves the workspace", fix: "use a path inside the workspace, without .." };
  return undefined;
}

export function checkScope(task: PlanFile["tasks"][number], i: number, options: ScopeOptions, add: Add): void {
  const path = task.scope_path ?? undefined;
  const at = ["tasks", i, "scope_path"];
  if (task.scope === "workspace") {
    // A workspace task may change the whole workspace: a scope_path beside it would be ignored.
    if (path !== undefined && path !== "") {
      add("error", "SCOPE_PATH_INVALID", at, `task "${task.id}" has scope "workspace" and a scope_path "${path}", which a workspace scope ignores`,
        `drop scope_path to let the task change the whole workspace, or use scope: module (or custom) to keep it to "${path}"`, task.id);
    }
    return;
  }
  if (path === undefined || path.trim() === "") {
    add("error", "SCOPE_PATH_MISSING", at, `task "${task.id}" has scope "${task.scope}" but no scope_path`,
      'set scope_path to a path relative to the workspace, e.g. "src/dashboard", or use scope: workspace', task.id);
    return;
  }
  const lexical = lexicalProblem(path);
  if (lexical) {
    add("error", lexical.escape ? "SCOPE_ESCAPE" : "SCOPE_PATH_INVALID", at, `task "${task.id}": scope_path "${path}" ${lexical.what}`, lexical.fix, task.id);
    return;
  }
  const { fs } = options;
  if (!fs || path.includes("\0")) return;
  const escape = scopeEscape(options.workspace, task, fs, options.realWorkspace);
  if (escape) {
    add("error", "SCOPE_ESCAPE", at, `task "${task.id}": scope_path "${path}" ${escape.detail}`,
      escape.kind === "loop" ? "fix or remove the symlinks it goes through" : "point the symlink at a directory inside the workspace, or use a scope_path that does not go through it", task.id);
    return;
  }
  // What is there already must be what the scope says. A path that does not exist yet is fine:
  // the task may make it.
  const kind = fs.kind(resolve(options.workspace, path));
  if (task.scope === "single_file" && kind === "directory") {
    add("error", "SCOPE_PATH_INVALID", at, `task "${task.id}" has scope "single_file" but scope_path "${path}" is a directory`,
      `use scope: module for a directory, or name the one file in "${path}" it changes`, task.id);
  } else if (task.scope !== "single_file" && kind === "file") {
    add("error", "SCOPE_PATH_INVALID", at, `task "${task.id}" has scope "${task.scope}" but scope_path "${path}" is a file`,
      "use scope: single_file for one file, or name the directory it changes", task.id);
  }
}

/** The fix that always works for a bad cwd. */
const CWD_FIX = 'drop cwd to start in the workspace root, or give a directory below it, e.g. cwd: "web"';

/**
 * A task's `cwd`, if it has one: relative to the workspace and inside it, as `scope_path` is, and
 * a directory where something is there already. One that does not exist yet is fine (an earlier
 * task may make it); an attempt that finds none fails saying so, before anything runs.
 */
export function checkCwd(task: PlanFile["tasks"][number], i: number, options: ScopeOptions, add: Add): void {
  const path = task.cwd;
  if (path === undefined) return;
  const at = ["tasks", i, "cwd"];
  if (path.trim() === "") {
    add("error", "CWD_INVALID", at, `task "${task.id}": cwd "${path}" is blank`, CWD_FIX, task.id);
    return;
  }
  const lexical = lexicalProblem(path);
  if (lexical) {
    add("error", lexical.escape ? "SCOPE_ESCAPE" : "CWD_INVALID", at, `task "${task.id}": cwd "${path}" ${lexical.what}`, `${lexical.fix}, or ${CWD_FIX}`, task.id);
    return;
  }
  const { fs } = options;
  if (!fs || path.includes("\0")) return;
  const escape = scopeEscape(options.workspace, { scope_path: path }, fs, options.realWorkspace);
  if (escape) {
    add("error", "SCOPE_ESCAPE", at, `task "${task.id}": cwd "${path}" ${escape.detail}`,
      escape.kind === "loop" ? "fix or remove the symlinks it goes through" : `point the symlink at a directory inside the workspace, or ${CWD_FIX}`, task.id);
    return;
  }
  if (fs.kind(resolve(options.workspace, path)) === "file") {
    add("error", "CWD_INVALID", at, `task "${task.id}": cwd "${path}" is a file, not a directory`, CWD_FIX, task.id);
  }
}
