// Where a task's processes start and what they are told about their place (DESIGN §10): the
// workspace root, or the task's own `cwd` below it; never its scope, which says what the task may
// change, not where it runs. Pure path arithmetic: the file system is scope-dir.ts's.
import { resolve } from "node:path";
import type { PlanTask } from "../../events/index.js";

/**
 * Where every process of a task starts (its `run`, the agent command, each acceptance test):
 * the workspace root, or its `cwd` relative to it. Validation keeps `cwd` inside the workspace,
 * and each attempt asks again through its symlinks (runtime/execution/attempt/scope-guard.ts).
 *
 * @example workingDirOf("/w", { cwd: "web" }) // "/w/web"
 */
export function workingDirOf(workspace: string, task: Pick<PlanTask, "cwd">): string {
  return task.cwd === undefined ? resolve(workspace) : resolve(workspace, task.cwd);
}

/** The scope as the environment names it: its scope_path as written, `.` for the whole workspace. */
export function scopePathOf(task: Pick<PlanTask, "scope" | "scope_path">): string {
  return task.scope === "workspace" || !task.scope_path ? "." : task.scope_path;
}

/** What one process of an attempt is told about its place. */
export interface PlaceOfProcess {
  workspace: string;
  run_id: string;
  task: Pick<PlanTask, "id" | "scope" | "scope_path">;
  attempt: number;
}

/**
 * The PEH_* variables every process of an attempt gets, on top of the run's environment and the
 * task's own `env` (peh's win: they say where the process really is).
 */
export function placeEnv(place: PlaceOfProcess): Record<string, string> {
  return {
    PEH_WORKSPACE: resolve(place.workspace),
    PEH_SCOPE_PATH: scopePathOf(place.task),
    PEH_RUN_ID: place.run_id,
    PEH_TASK_ID: place.task.id,
    PEH_ATTEMPT: String(place.attempt),
  };
}
