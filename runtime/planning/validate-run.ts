// Pure. The checks of how a plan's tasks run, for validatePlan: durations (zero leaves no time,
// more than MAX_DURATION is refused), the shell (sh, bash, or a template with {0}) and the
// environment (POSIX names, no NUL in a value). The same checks hold plan-wide and per task.
import type { PlanFile, PlanTask, Problem, ProblemCode } from "../../events/index.js";
import { durationToMs, MAX_DURATION, MAX_DURATION_MS } from "../../machines/recovery.js";
import { shellProblem } from "../execution/process/shell.js";

type Add = (severity: Problem["severity"], code: ProblemCode, path: (string | number)[], message: string, fix: string, task_id?: string) => void;

/** The fields a plan and a task share, and those only a task has. */
type RunFields = Pick<PlanFile, "shell" | "env" | "recovery"> & Partial<Pick<PlanTask, "id" | "timeout" | "task_timeout">>;

/** A POSIX name of an environment variable: what every shell can read as $NAME. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks `owner`: the plan (`task` undefined), or the task at index `task`. Nothing is allocated
 * when it has none of the fields (plans of 100k tasks).
 */
export function checkRunFields(owner: RunFields, task: number | undefined, add: Add): void {
  if (owner.timeout === undefined && owner.task_timeout === undefined && owner.recovery === undefined && owner.shell === undefined && owner.env === undefined) return;
  const at = task === undefined ? [] : ["tasks", task];
  if (owner.timeout !== undefined) checkLimit(owner, at, "timeout", owner.timeout, add);
  if (owner.task_timeout !== undefined) checkLimit(owner, at, "task_timeout", owner.task_timeout, add);
  if (owner.recovery !== undefined) {
    for (const [klass, policy] of Object.entries(owner.recovery)) {
      policy?.delays?.forEach((delay, j) => {
        if (durationToMs(delay) > MAX_DURATION_MS) {
          add("error", "SCHEMA", [...at, "recovery", klass, "delays", j], `${whose(owner)}a retry delay of ${delay} is longer than peh allows (${MAX_DURATION})`,
            `use at most ${MAX_DURATION}, or let a human decide: { action: escalate }`, owner.id);
        }
      });
    }
  }
  if (owner.shell !== undefined) checkShell(owner, at, owner.shell, add);
  if (owner.env !== undefined) checkEnv(owner, at, owner.env, add);
}

const whose = (owner: RunFields) => (owner.id === undefined ? "" : `task "${owner.id}": `);

function checkLimit(owner: RunFields, at: (string | number)[], field: "timeout" | "task_timeout", duration: string, add: Add): void {
  const ms = durationToMs(duration);
  if (ms === 0) {
    add("error", "SCHEMA", [...at, field], `${whose(owner)}a ${field} of ${duration} leaves the task no time`,
      `give it a positive duration (e.g. 10m), or leave ${field} out for no limit`, owner.id);
  } else if (ms > MAX_DURATION_MS) {
    add("error", "SCHEMA", [...at, field], `${whose(owner)}a ${field} of ${duration} is longer than peh allows (${MAX_DURATION})`,
      `use at most ${MAX_DURATION}, or leave ${field} out for no limit`, owner.id);
  }
}

function checkShell(owner: RunFields, at: (string | number)[], shell: string, add: Add): void {
  const problem = shell.includes("\0") ? "holds a NUL byte (\\0), which no command line can carry" : shellProblem(shell);
  if (problem === undefined) return;
  add("error", "SCHEMA", [...at, "shell"], `${whose(owner)}the shell "${shell}" ${problem}`,
    'use sh (stops at the first failing line), bash, or a command line with {0} where the script file goes: "python3 {0}", or "sh {0}" to go on past a failing line', owner.id);
}

function checkEnv(owner: RunFields, at: (string | number)[], env: Readonly<Record<string, string>>, add: Add): void {
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      add("error", "SCHEMA", [...at, "env", name], `${whose(owner)}"${name}" is not a name an environment variable can have`,
        `use letters, digits and _, not starting with a digit: ${suggestedName(name)}`, owner.id);
    } else if (value.includes("\0")) {
      add("error", "SCHEMA", [...at, "env", name], `${whose(owner)}the value of ${name} holds a NUL byte (\\0), which no environment can carry`,
        "remove the NUL byte (a \\u0000 or \\0 escape in the plan file)", owner.id);
    }
  }
}

function suggestedName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(cleaned) || cleaned === "" ? `_${cleaned}` : cleaned;
}
