// One process of an attempt (its command, its agent, or one of its acceptance tests): spawned with
// the task's shell and environment, in its sandbox, its process group journaled.
import { workerIdFor, type PlanTask, type WorkerId } from "../../../events/index.js";
import { runCommand, type RunResult } from "../process/process-runner.js";
import { taskProcess } from "../process/task-process.js";
import type { RunContext } from "./run-context.js";
import { placeEnv } from "../../workspace/place.js";
import type { CommandKind } from "../../workspace/grants.js";

/**
 * One process of the attempt, with the task's shell and environment, its group journaled (so
 * that a crash does not orphan it) from before it runs anything until it has ended.
 */
export async function attemptProcess(
  run: RunContext,
  task: PlanTask,
  attempt: number,
  { kind, ...spec }: { kind: CommandKind; command: string; timeoutMs: number | undefined; stdin?: string; idleTimeoutMs?: number; lines?: (line: string, stop: () => void) => string },
): Promise<RunResult> {
  const worker_id: WorkerId = workerIdFor(task.id, attempt);
  const common = run.processOptions(task, attempt);
  // The profile WORKER_RUNNING recorded for the attempt (the same inputs give the same one after a crash).
  const wrap = run.sandbox.wrapper(run.sandbox.profile(task, run.state.plan.context.granted, kind, run.isolation.workspaceRoot(task, attempt)));
  const own = taskProcess(run.state.plan_spec, task, common);
  const place = placeEnv({ workspace: run.state.workspace ?? process.cwd(), run_id: run.options.runId, task, attempt });
  let pid: number | undefined;
  const result = await runCommand({
    ...common,
    ...own,
    // Through the same frame as the task's own variables (the launcher's per-process env).
    extraEnv: own.extraEnv === undefined ? place : { ...own.extraEnv, ...place },
    ...spec,
    ...(wrap === undefined ? {} : { wrap }),
    // Written by the starter: the launcher's child before it execs, at no cost to this thread.
    journal: { file: run.pids.journal, entry: worker_id },
    onSpawn: (started: number) => (pid = started),
  });
  if (pid !== undefined) void run.pids.ended(worker_id, pid);
  return result;
}
