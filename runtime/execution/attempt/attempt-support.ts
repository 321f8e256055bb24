// What an attempt needs around its processes: the prompt an agent reads, and,
// after a crash, stopping the process groups the dead orchestrator left behind.
import { appendFileSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import type { PlanTask } from "../../../events/index.js";
import { agentPromptOf } from "../../../events/index.js";

/** What became of an interrupted attempt's processes when a new orchestrator took over. */
export type Orphans = "running" | "ended" | "none";

/**
 * The process groups of a run's attempts, so that a crash does not orphan them: one line
 * `<worker id> <pid>` in `attempts/pids` for every process of an attempt (its command and each
 * acceptance test), written by the process's starter once the process exists and before it runs
 * anything (see StartRequest.journal); `<worker id> -<pid>` once it has ended, `<worker id> -`
 * once every group of the attempt is spent. Appending to one file makes no new file per attempt
 * (a new file cost ~0.8 ms of kernel time on this project's machine); ends that come together
 * share one append, and a lost end only means a group that is gone is looked for. An older peh
 * wrote `<worker id>.pid` files; those are still read.
 */
export class PidRecords {
  private ends = "";
  private flushing: Promise<void> | undefined;

  constructor(private readonly attemptsDir: string) {}

  /** The journal, for the starters to append a process's record to. */
  get journal(): string {
    return join(this.attemptsDir, "pids");
  }

  record(worker: string, pid: number): Promise<void> {
    return appendFile(this.journal, `${worker} ${pid}\n`);
  }

  /** The process `pid` of `worker` has ended and its group was killed: its record is spent. */
  ended(worker: string, pid: number): Promise<void> {
    this.ends += `${worker} -${pid}\n`;
    return (this.flushing ??= Promise.resolve().then(() => {
      const lines = this.ends;
      this.ends = "";
      this.flushing = undefined;
      try {
        appendFileSync(this.journal, lines);
      } catch {
        // a record that stays unspent only means one more kill of a group already gone
      }
    }));
  }

  /** The process groups recorded for `worker` whose records are not spent, oldest first. */
  recorded(worker: string): number[] {
    const live = new Set<number>();
    let journal = "";
    try {
      journal = readFileSync(this.journal, "utf8");
    } catch {
      // no journal yet
    }
    for (const line of journal.split("\n")) {
      if (!line.startsWith(`${worker} `)) continue;
      const entry = line.slice(worker.length + 1);
      if (entry === "-") live.clear();
      else if (entry.startsWith("-")) live.delete(Number.parseInt(entry.slice(1), 10));
      else live.add(Number.parseInt(entry, 10));
    }
    if (!journal.includes(`${worker} `)) {
      try {
        live.add(Number.parseInt(readFileSync(join(this.attemptsDir, `${worker}.pid`), "utf8"), 10));
      } catch {
        // no record
      }
    }
    return [...live].filter((pid) => Number.isInteger(pid) && pid > 0);
  }

  /**
   * Kills every process group recorded for `worker` that still lives, waits until each is gone,
   * and spends the records, so that no later recovery kills a pid that was reused since. Says
   * whether any of them still ran ("running"), all had ended ("ended"), or none was recorded.
   */
  async killOrphans(worker: string): Promise<Orphans> {
    const pids = this.recorded(worker);
    if (pids.length === 0) return "none";
    let running = false;
    for (const pid of pids) {
      if (!groupAlive(pid)) continue;
      running = true;
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
      for (let waited = 0; groupAlive(pid) && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    }
    await appendFile(this.journal, `${this.ends}${worker} -\n`);
    this.ends = "";
    rmSync(join(this.attemptsDir, `${worker}.pid`), { force: true });
    return running ? "running" : "ended";
  }
}

/**
 * Whether a process group has a member that runs. A zombie (dead, not yet reaped by whoever
 * inherited it) still takes a signal, so on Linux the members' states are read from /proc.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true; // no /proc: a signal is all there is to ask
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) > 57) continue; // not a process (every pid is digits)
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // After the command's name in parentheses: state, ppid, pgrp.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") return true;
  }
  return false;
}

/** Why a task caught mid-attempt by a crash was interrupted, and what became of its process. */
export function interruptionReason(orphans: Orphans): { reason: string; orphan: string } {
  const orphan = {
    running: "its process was still running, and was killed",
    ended: "its process had already ended, and may have done its work",
    none: "no process of it had been recorded: it had not started",
  }[orphans];
  return { reason: `the orchestrator stopped while it ran; ${orphan}`, orphan };
}

/** What an agent task's command reads on stdin: objective, scope and the checks it must pass. */
export function promptOf(task: PlanTask): string {
  return [
    agentPromptOf(task) ?? task.objective,
    "",
    `Objective: ${task.objective}`,
    `Scope: ${task.scope}${task.scope_path ? ` (${task.scope_path})` : ""}`,
    // Paths in the objective and the checks are the workspace root's unless the task says otherwise.
    `Working directory: ${task.cwd === undefined ? "the workspace root" : `${task.cwd} (relative to the workspace root)`}`,
    "Acceptance tests (all must exit 0):",
    ...task.acceptance_tests.map((test) => `- ${test}`),
    "",
  ].join("\n");
}
