// A module or custom task's scope directory that does not exist yet is made, empty, when its
// attempt is about to run (a packet of the public contract names `phase_1` before anything made
// it). The log says so first (`made` on WORKER_RUNNING); the directory is made only where its
// path really leads inside the workspace, asked again at that moment.
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { PlanTask } from "../../events/index.js";
import { placeOf, realWorkspace, type ScopeFs } from "../planning/scope/scope-escape.js";
import { nodeScopeFs } from "../planning/scope/scope-fs.js";

/** The scope_path to make for the task (as written), or undefined when there is nothing to make. */
export function missingScopeDir(workspace: string, task: Pick<PlanTask, "scope" | "scope_path">, fs: ScopeFs = nodeScopeFs): string | undefined {
  if (task.scope !== "module" && task.scope !== "custom") return undefined;
  const path = task.scope_path;
  if (path === undefined || path === null || path === "" || path.includes("\0")) return undefined;
  return fs.kind(resolve(workspace, path)) === undefined ? path : undefined;
}

/** Why a scope directory could not be made, as a process that did not start says it. */
export interface NotMade {
  code: string;
  message: string;
}

/**
 * Makes the scope directory `scopePath` (and its missing parents) where it really leads: through
 * a symlink inside the workspace to its target. Refuses a path that leads out (a link re-pointed
 * since the attempt's scope was checked). Returns why it could not, or undefined once it exists.
 */
export async function makeScopeDir(workspace: string, scopePath: string, fs: ScopeFs = nodeScopeFs): Promise<NotMade | undefined> {
  const place = placeOf(workspace, resolve(workspace, scopePath), fs, realWorkspace(workspace, fs));
  if (place.escape) {
    return { code: "SCOPE_ESCAPE", message: `peh did not make the scope directory ${scopePath}: it ${place.escape.detail}` };
  }
  try {
    await mkdir(place.path, { recursive: true });
    return undefined;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    return { code: code ?? "MKDIR", message: `peh could not make the scope directory ${scopePath}: ${message}` };
  }
}
