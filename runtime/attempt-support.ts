// What an attempt needs around its process: the timeout as milliseconds, the prompt an agent
// reads, and, after a crash, stopping the process group the dead orchestrator left behind.
import { readFileSync, readlinkSync, rmSync } from "node:fs";
import { rm, symlink, writeFile } from "node:fs/promises";
import type { PlanTask } from "../events/index.js";
import { durationToMs } from "../machines/recovery.js";

/**
 * Records a process group id in `pidFile` as a symbolic link whose target is the pid: a new file
 * with content cost ~0.8 ms of kernel time on this project's machine, a symlink ~0.05 ms. Where
 * symlinks are refused, it is a file holding the pid.
 */
export async function recordPid(pidFile: string, pid: number): Promise<void> {
  try {
    await symlink(String(pid), pidFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") return writeFile(pidFile, `${pid}\n`);
    await rm(pidFile, { force: true });
    await symlink(String(pid), pidFile);
  }
}

/** The pid recorded in `pidFile` (either kind), if any. */
function recordedPid(pidFile: string): number | undefined {
  try {
    let text: string;
    try {
      text = readlinkSync(pidFile);
    } catch {
      text = readFileSync(pidFile, "utf8");
    }
    return Number.parseInt(text, 10);
  } catch {
    return undefined;
  }
}

/** Kills the process group recorded in `pidFile` (if it still lives) and waits until it is gone. */
export async function killOrphan(pidFile: string): Promise<void> {
  const pid = recordedPid(pidFile);
  if (pid === undefined) return;
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
