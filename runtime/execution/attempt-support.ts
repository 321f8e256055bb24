// What an attempt needs around its process: where it runs, the timeout as milliseconds, the
// prompt an agent reads, and, after a crash, stopping the process group the dead orchestrator
// left behind.
import { readFileSync, rmSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { PlanTask } from "../../events/index.js";
import { durationToMs } from "../../machines/recovery.js";

/**
 * The process groups of a run's attempts, so that a crash does not orphan them: one line
 * `<worker id> <pid>` appended to `attempts/pids` when a process starts. Appending to one file
 * makes no new file per attempt (a new file cost ~0.8 ms of kernel time on this project's
 * machine). An older peh wrote `<worker id>.pid` files; those are still read.
 */
export class PidRecords {
  constructor(private readonly attemptsDir: string) {}

  private get journal(): string {
    return join(this.attemptsDir, "pids");
  }

  record(worker: string, pid: number): Promise<void> {
    return appendFile(this.journal, `${worker} ${pid}\n`);
  }

  /** The last pid recorded for `worker`, if its record is not spent. */
  recorded(worker: string): number | undefined {
    let last: string | undefined;
    try {
      for (const line of readFileSync(this.journal, "utf8").split("\n")) if (line.startsWith(`${worker} `)) last = line.slice(worker.length + 1);
    } catch {
      // no journal yet
    }
    if (last === undefined) {
      try {
        last = readFileSync(join(this.attemptsDir, `${worker}.pid`), "utf8");
      } catch {
        return undefined;
      }
    }
    const pid = Number.parseInt(last, 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /**
   * Kills the process group recorded for `worker` (if it still lives), waits until it is gone,
   * and spends the record, so that no later recovery kills a pid that was reused since.
   */
  async killOrphan(worker: string): Promise<void> {
    const pid = this.recorded(worker);
    if (pid === undefined) return;
    const alive = () => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
    for (let waited = 0; alive() && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    await appendFile(this.journal, `${worker} -\n`);
    rmSync(join(this.attemptsDir, `${worker}.pid`), { force: true });
  }
}

/** Where a task's processes run: its scope_path in the workspace, or the directory of its single file. */
export function workingDirOf(workspace: string, task: Pick<PlanTask, "scope" | "scope_path">): string {
  const scope = resolve(workspace, task.scope_path ?? ".");
  return task.scope === "single_file" ? dirname(scope) : scope;
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
