// What every process of a task runs with beyond what the run gives all of them: the task's
// shell, and its own environment variables (with a redactor that knows the secret-looking ones).
import type { Plan, PlanTask } from "../../events/index.js";
import { redactorFor, type Redactor } from "./redact.js";
import { shellCommand, shellOf, type ShellCommand } from "./shell.js";

export interface TaskProcess {
  shell: ShellCommand;
  /** The plan's `env` under the task's; absent when neither has one. */
  extraEnv?: Readonly<Record<string, string>>;
  redact: Redactor;
}

/** Built once per task of a plan version: a redactor reads the whole environment. */
const built = new WeakMap<PlanTask, { plan: Plan | null; made: TaskProcess }>();

/** A task's shell and environment, given the run's environment and its redactor. */
export function taskProcess(plan: Plan | null, task: PlanTask, run: { env: NodeJS.ProcessEnv; redact: Redactor }): TaskProcess {
  const known = built.get(task);
  if (known?.plan === plan) return known.made;
  const shell = shellCommand(shellOf(plan, task));
  const env = plan?.env || task.env ? { ...plan?.env, ...task.env } : undefined;
  const made: TaskProcess =
    env === undefined || Object.keys(env).length === 0
      ? { shell, redact: run.redact }
      : { shell, extraEnv: env, redact: redactorFor({ ...run.env, ...env }) };
  built.set(task, { plan, made });
  return made;
}
