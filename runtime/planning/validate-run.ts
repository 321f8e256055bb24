// Pure. The checks of how a plan's tasks run, for validatePlan: durations (zero leaves no time,
// more than MAX_DURATION is refused). The same checks hold plan-wide and per task.
import type { PlanFile, PlanTask, Problem, ProblemCode } from "../../events/index.js";
import { durationToMs, MAX_DURATION, MAX_DURATION_MS } from "../../machines/recovery.js";

type Add = (severity: Problem["severity"], code: ProblemCode, path: (string | number)[], message: string, fix: string, task_id?: string) => void;

/** The fields a plan and a task share, and those only a task has. */
type RunFields = Pick<PlanFile, "recovery"> & Partial<Pick<PlanTask, "id" | "timeout">>;

/** Checks `owner` (the plan, `at` []; or a task, `at` ["tasks", i]): nothing is allocated when it has none of the fields. */
export function checkRunFields(owner: RunFields, at: (string | number)[], add: Add): void {
  if (owner.timeout !== undefined) checkLimit(owner, at, "timeout", owner.timeout, add);
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
}

const whose = (owner: RunFields) => (owner.id === undefined ? "" : `task "${owner.id}": `);

function checkLimit(owner: RunFields, at: (string | number)[], field: "timeout", duration: string, add: Add): void {
  const ms = durationToMs(duration);
  if (ms === 0) {
    add("error", "SCHEMA", [...at, field], `${whose(owner)}a ${field} of ${duration} leaves the task no time`,
      `give it a positive duration (e.g. 10m), or leave ${field} out for no limit`, owner.id);
  } else if (ms > MAX_DURATION_MS) {
    add("error", "SCHEMA", [...at, field], `${whose(owner)}a ${field} of ${duration} is longer than peh allows (${MAX_DURATION})`,
      `use at most ${MAX_DURATION}, or leave ${field} out for no limit`, owner.id);
  }
}
