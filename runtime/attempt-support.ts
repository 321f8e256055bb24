// What an attempt needs around its process: the timeout as milliseconds, the prompt an agent
// reads, and, after a crash, stopping the process group the dead orchestrator left behind.
import { readFileSync, rmSync } from "node:fs";
import type { PlanTask } from "../events/index.js";

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

/** `250ms`, `5s`, `10m`, `1h` → milliseconds. */
export function durationMs(duration: string | undefined): number | undefined {
  if (duration === undefined) return undefined;
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration);
  if (!match) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
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
