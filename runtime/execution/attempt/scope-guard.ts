// Where an attempt may run, asked again each time one starts (and once more after its trust,
// just before its process): a symlink made or re-pointed since the approval must not take a
// task out of the workspace. Such an attempt fails before anything runs and waits for a human:
// it is never retried by itself, for waiting does not bring the link back.
import type { PlanTask } from "../../../events/index.js";
import { placeOf, realWorkspace, scopeEscape, type ScopeEscape } from "../../planning/scope/scope-escape.js";
import { nodeScopeFs } from "../../planning/scope/scope-fs.js";
import { now } from "../clock.js";
import type { RunContext } from "./run-context.js";

interface Escaped {
  /** What leads out: `scope_path "out"`, or the working directory. */
  what: string;
  escape: ScopeEscape;
}

/** Where the task's attempt would run (its real place) and, if it leads out, how. */
export function placeOfAttempt(run: RunContext, task: PlanTask): { cwd: string; escaped?: Escaped } {
  const workspace = run.state.workspace ?? process.cwd();
  const real = realWorkspace(workspace, nodeScopeFs);
  const cwd = run.cwdOf(task);
  const place = placeOf(workspace, cwd, nodeScopeFs, real);
  const scope = scopeEscape(workspace, task, nodeScopeFs, real);
  const escaped = scope ? { what: `scope_path "${task.scope_path}"`, escape: scope } : place.escape ? { what: `its working directory ${cwd}`, escape: place.escape } : undefined;
  return { cwd: place.path, ...(escaped ? { escaped } : {}) };
}

/**
 * Starts an attempt where its scope allows: returns the working directory to record (where it
 * really is), or undefined when the attempt was refused (started and failed in one append).
 */
export async function startInScope(run: RunContext, task: PlanTask): Promise<string | undefined> {
  const { cwd, escaped } = placeOfAttempt(run, task);
  if (!escaped) return cwd;
  await refuse(run, task, escaped, cwd);
  return undefined;
}

/** Before a trusted worker runs: true if its scope now leads out, and the attempt was refused. */
export async function refusedOutOfScope(run: RunContext, task: PlanTask): Promise<boolean> {
  const { escaped } = placeOfAttempt(run, task);
  if (escaped) await refuse(run, task, escaped);
  return escaped !== undefined;
}

/** Fails the attempt as invalid input and asks a human at once, in one batch of commands. */
async function refuse(run: RunContext, task: PlanTask, { what, escape }: Escaped, startAt?: string): Promise<void> {
  const at = now();
  const task_id = task.id;
  const workspace = run.state.workspace ?? process.cwd();
  const message = `task "${task_id}": ${what} ${escape.detail} (${workspace}); nothing was run`;
  const decided = startAt === undefined ? [] : [run.command({ type: "StartAttempt", at, task_id, cwd: startAt })];
  decided.push(
    run.command({ type: "RecordExit", at, task_id, exit_code: null, signal: null, timed_out: false, duration_ms: 0, error: { code: "SCOPE_ESCAPE", message } }),
    run.command({ type: "ClassifyFailure", at, task_id, class: "invalid_input", rule: "scope leads out of the workspace", evidence: message.slice(0, 300) }),
    run.command({
      type: "Escalate",
      at,
      task_id,
      class: "invalid_input",
      reason: `${message}. Point the symlink back inside the workspace (or change the task's ${what.startsWith("scope_path") ? "scope_path" : "cwd"} with peh modify), then retry`.slice(0, 500),
    }),
  );
  await Promise.all(decided);
  const attempt = run.state.tasks.get(task_id)?.context.attempt ?? 1;
  run.options.progress({ kind: "task", ...run.numbered(task), task: task_id, ok: false, seconds: 0, detail: `${what} leads out of the workspace (invalid_input)`, retry: attempt > 1 });
  run.note(message);
}
