// What `peh output` shows: the recorded output of one attempt of a task (the latest by default),
// read from its attempt log as it was written (redacted; control characters as they came, for
// the view to escape), on either store (runtime/store/output.ts). Which attempts exist comes from the run's log, never from the directory.
import { PehError, workerIdFor, type EventStore, type RunId, type TaskId } from "../events/index.js";
import { stateName } from "../machines/fold/state-name.js";
import { viewStateOf } from "./view-state.js";
import { outputOf } from "./store/output.js";

export interface AttemptOutput {
  run_id: RunId;
  task_id: TaskId;
  attempt: number;
  /** How many attempts the task has had so far. */
  attempts: number;
  /** The task's state now. */
  state: string;
  log: string;
  output: string;
}

/** The output of `task`'s attempt `attempt` (default: its latest) in run `runId`. Throws USAGE when there is none. */
export async function attemptOutput(store: EventStore, runId: RunId, task: string, attempt?: number): Promise<AttemptOutput> {
  const { state } = await viewStateOf(store, runId);
  const cell = state.tasks.get(task as TaskId);
  if (!cell) {
    const known = [...state.tasks.keys()].join(", ") || "none";
    throw new PehError("USAGE", `run ${runId} has no task "${task}"`, `its tasks are: ${known}`);
  }
  const attempts = cell.context.attempt;
  if (attempts === 0) {
    throw new PehError("USAGE", `task ${task} of run ${runId} has not started yet (${stateName(cell.value).replaceAll("_", " ")}): it has no output`, `peh status ${runId} shows where the run stands`);
  }
  const chosen = attempt ?? attempts;
  if (!Number.isInteger(chosen) || chosen < 1 || chosen > attempts) {
    throw new PehError("USAGE", `task ${task} has no attempt ${attempt}: it has had ${attempts === 1 ? "1 attempt" : `attempts 1 to ${attempts}`}`, `peh output ${runId} ${task} --attempt ${attempts}`);
  }
  const worker = workerIdFor(task as TaskId, chosen);
  const source = outputOf(store);
  const found = await source.read(runId, worker);
  if (!found) {
    throw new PehError("USAGE", `attempt ${chosen} of task ${task} has no output yet: ${source.where(runId, worker)} does not exist`, `its command has not started (peh status ${runId} shows whether it waits, for trust say), or its log was removed`);
  }
  return { run_id: runId, task_id: task as TaskId, attempt: chosen, attempts, state: stateName(cell.value), log: found.from, output: found.bytes.toString("utf8") };
}
