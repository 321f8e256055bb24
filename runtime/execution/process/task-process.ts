// What every process of a task runs with beyond what the run gives all of them: the task's
// shell, its own environment variables (with a redactor that knows the secret-looking ones), and
// the limits on its time: `timeout` for each process, `task_timeout` for all of an attempt's.
import type { Plan, PlanTask } from "../../../events/index.js";
import { durationToMs } from "../../../machines/recovery.js";
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

/** Which limit a timed-out process hit. */
export type Limit = "timeout" | "task_timeout";

/**
 * The limits of one attempt, started when its work starts: each process gets its `timeout`, or
 * what is left of the `task_timeout` when that is shorter. Checks re-run after a crash get the
 * whole `task_timeout` again (the command's time is not in the log).
 */
export class AttemptLimits {
  private readonly each: number | undefined;
  private readonly whole: number | undefined;
  private readonly started = performance.now();

  constructor(private readonly task: Pick<PlanTask, "timeout" | "task_timeout">) {
    this.each = task.timeout === undefined ? undefined : durationToMs(task.timeout);
    this.whole = task.task_timeout === undefined ? undefined : durationToMs(task.task_timeout);
  }

  /** The next process's timeout in ms (undefined: none), and the limit it stands for. */
  next(): { ms: number | undefined; limit: Limit } {
    const left = this.whole === undefined ? undefined : Math.max(1, Math.ceil(this.whole - (performance.now() - this.started)));
    if (left !== undefined && (this.each === undefined || left < this.each)) return { ms: left, limit: "task_timeout" };
    return { ms: this.each, limit: "timeout" };
  }

  /** The whole attempt's time is up: no further process may start. */
  get spent(): boolean {
    return this.whole !== undefined && performance.now() - this.started >= this.whole;
  }

  /** What a timed-out process (`what`: "the command", "the acceptance test `…`") exceeded. */
  exceeded(limit: Limit, what: string): string {
    return limit === "timeout" ? `${what} exceeded its timeout of ${this.task.timeout}` : `${this.wholeLimit()} ran out while ${what} ran`;
  }

  /** Why a check did not start. */
  spentBefore(what: string): string {
    return `${this.wholeLimit()} ran out before ${what} could start`;
  }

  private wholeLimit(): string {
    return `the task_timeout of ${this.task.task_timeout} (command and acceptance tests together)`;
  }
}
