// The text form of the execution log: one greppable line per event,
// `2026-01-15 14:23:45 TASK_STARTED [Task 2/5] build · attempt 1 [ready → running] (#12)`.
import type { LogEntry } from "../../projections/log-view.js";
import { printable } from "../../projections/text/printable.js";
import type { OutputLine } from "../../runtime/live-output.js";
import { localTime } from "../time.js";
import { paint, type Io } from "../output.js";

const BAD = new Set(["TASK_FAILED", "WORKER_FAILED", "BOOTSTRAP_PHASE_FAILED", "GATE_REJECTED", "RECOVERY_ESCALATION", "PERMISSION_REQUIRED", "RUN_BUDGET_SPENT"]);
const GOOD = new Set(["TASK_COMPLETED", "GATE_APPROVED", "RECOVERY_SUCCEEDED"]);

export function renderLogLine(io: Pick<Io, "color">, entry: LogEntry): string {
  const p = paint(io);
  const time = localTime(entry.timestamp);
  const type = BAD.has(entry.event) ? p.red(entry.event) : GOOD.has(entry.event) ? p.green(entry.event) : entry.event === "EXECUTION_COMPLETE" ? p.bold(entry.event) : entry.event;
  const subject = entry.place ? ` [Task ${entry.place.index}/${entry.place.total}] ${entry.task_id}` : entry.task_id ? ` ${entry.task_id}` : "";
  const moved = entry.transition ? ` ${p.dim(`[${entry.transition}]`)}` : "";
  return `${p.dim(time)} ${type}${subject}${entry.summary ? ` · ${entry.summary}` : ""}${moved} ${p.dim(`(#${entry.seq})`)}`;
}

/** A line an attempt printed, under `peh log --follow`: `  build#1 │ compiling…`, escaped. */
export function renderOutputLine(io: Pick<Io, "color">, line: OutputLine): string {
  return `${paint(io).dim(`  ${line.worker_id} │`)} ${printable(line.text, { oneLine: true })}`;
}
