// What a failed attempt's classification and progress line read: the process's own output (its
// tail; after a crash, the log's record of it, without peh's lines), why it did not start when it
// did not, and its last few lines to show.
import { readFile } from "node:fs/promises";
import type { TaskFailed } from "../../../events/index.js";
import { LEFT_OUT, echoOf } from "../attempt/attempt-log.js";
import type { FailureFacts } from "./classify.js";
import type { Redactor } from "../process/redact.js";

/** Why an attempt failed, as its classification needs it; `limit` names a limit that stopped a process. */
export type Failure = Pick<FailureFacts, "stage" | "output" | "spawn_error" | "limit" | "conflicts"> & { timed_out?: boolean };

/** The last `count` lines a process printed that hold something, at most `width` characters each. */
export function lastLines(output: string, count = 5, width = 200): string[] {
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  return lines.slice(-count).map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
}

/**
 * What the last command that `echo` introduces printed, as its log holds it (without peh's
 * `[exit …]` line and left-out markers). Empty when the log or the command is not there.
 */
export async function recordedOutput(logFile: string, echo: string): Promise<string> {
  let log: string;
  try {
    log = await readFile(logFile, "utf8");
  } catch {
    return "";
  }
  const after = log.lastIndexOf(`\n${echo}`);
  const start = after >= 0 ? after + 1 + echo.length : log.startsWith(echo) ? echo.length : -1;
  if (start < 0) return "";
  // peh's own lines are no output of the process: the shell line after the echo, the exit line.
  return log.slice(start).replace(/^shell: [^\n]*\n/, "").replace(/\n\[exit [^\n]*\]\n$/, "\n").replace(LEFT_OUT, "\n");
}

const EXIT_CODES = new Set(["EXIT", "TIMEOUT", "SIGNAL", "ACCEPTANCE_FAILED"]);

/**
 * A failure recorded before a crash, to classify again: the process's tail is gone with the
 * orchestrator, so its output is read back from the attempt's log (the failing acceptance test's,
 * for a failed check).
 */
export async function recordedFailure(log: { logFile: string; redact: Redactor }, failed: TaskFailed["data"] | undefined, command: string | undefined): Promise<Failure> {
  const stage = failed?.stage ?? "run";
  const ran = stage === "verify" ? failed?.evidence.at(-1)?.command : command;
  const output = ran === undefined ? "" : await recordedOutput(log.logFile, log.redact(echoOf(ran)));
  const error = failed?.error;
  const notStarted = stage === "run" && error !== undefined && !EXIT_CODES.has(error.code) && failed?.exit_code === null && failed.signal === null;
  // A process stopped by a limit failed as a timeout, whose evidence names the limit.
  const limit = failed?.timed_out && error?.code === "TIMEOUT" ? { timed_out: true, limit: error.message } : {};
  return { stage, output, ...(notStarted ? { spawn_error: error } : {}), ...limit, ...(failed?.conflicts ? { conflicts: failed.conflicts } : {}) };
}
