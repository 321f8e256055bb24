// What an attempt needs around its process: the timeout as milliseconds, the prompt an agent
// reads, and, after a crash, stopping the process group the dead orchestrator left behind.
import { readFileSync, rmSync } from "node:fs";
import type { PlanTask } from "../events/index.js";
import { durationToMs } from "../machines/recovery.js";

/** Kills the process group recorded in `pidFile` (if it still lives) and waits until it is gone. */
export async function killOrphan(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
  } catch {
    return;
  }
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
    for (let waited = 0; alive() && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  }
  rmSync(pidFile, { force: true });
}

/** A task's timeout (`250ms`, `5s`, `10m`, `1h`, checked by the plan schema) in milliseconds. */
export function durationMs(duration: string | undefined): number | undefined {
  return duration === undefined ? undefined : durationToMs(duration);
}

/** What an agent task's command reads on stdin: objective, scope and the checks it must pass. */
export function promptOf(task: PlanTask): string {
  return [
    task.agent ?? task.objective,
    "",
    `Objective: ${task.objective}`,
    `Scope: ${task.scope}${task.scope_path ? ` (${task.scope_path})` : ""}`,
    "Acceptance tests (all must exit 0):",
    ...task.acceptance_tests.map((test) => `- ${test}`),
    "",
  ].join("\n");
}
