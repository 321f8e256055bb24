// Progress lines while a run executes, and its summary. A failure shows the last lines its process
// printed (escaped: task output never reaches the terminal with its control characters live) and
// where the rest is.
import { isAbsolute, relative } from "node:path";
import type { ProgressLine } from "../../runtime/execution/orchestrator.js";
import { printable } from "../../projections/text/printable.js";
import type { RunView } from "../../projections/run-view.js";
import { skippedFailuresText, type SkippedFailure } from "../../projections/skipped.js";
import { stateWords } from "../../projections/text/words.js";
import { paint, type Io } from "../output.js";

/** A path as short as it can be said from here: relative when it is below the current directory. */
function shortPath(path: string): string {
  const near = relative(process.cwd(), path);
  return near === "" || near.startsWith("..") || isAbsolute(near) ? path : near;
}

/** A permanent progress line; a task's start has none (the live view shows it while it runs). */
export function renderProgress(io: Io, line: Exclude<ProgressLine, { kind: "started" }>): string {
  const p = paint(io);
  if (line.kind === "note") return p.dim(`  ${line.text}`);
  // An attempt after a crash or a drain resumes the task; it is no retry of a failure.
  const label = `[Task ${line.index}/${line.total}${line.resumed ? " RESUMED" : line.retry ? " RETRY" : ""}]`;
  const mark = line.ok ? p.green("✓") : p.red("✗");
  const head = `${label} ${mark} ${line.task}: ${line.ok ? `${line.seconds.toFixed(1)}s` : line.detail ?? "failed"}`;
  if (line.ok) return head;
  const output = (line.output ?? []).map((printed) => p.dim(`    │ ${printable(printed, { oneLine: true })}`));
  return [head, ...output, ...(line.log ? [p.dim(`    log: ${shortPath(line.log)}`)] : [])].join("\n");
}

/**
 * The last line of a run: its state and counts, green only when nothing failed. A run that went
 * past failures (skipped by policy or by a human) is completed, and says which it went past.
 */
export function renderSummary(io: Io, view: RunView, seconds: number, skippedFailures: readonly SkippedFailure[] = []): string {
  const p = paint(io);
  const { succeeded, failed, skipped, upstream_failed, total, reused } = view.progress;
  const state = view.plan.state;
  const counts = `${succeeded}/${total} succeeded, ${reused ? `${reused} reused, ` : ""}${failed} failed, ${skipped} skipped, ${upstream_failed} upstream failed · ${seconds.toFixed(1)}s`;
  const color = state === "completed" ? p.green : state === "failed" || state === "aborted" ? p.red : (text: string) => text;
  const line = skippedFailures.length > 0
    ? `${p.bold(p.yellow(`${stateWords(state)} with ${skippedFailuresText(skippedFailures)}`))} · ${counts}`
    : `${p.bold(color(stateWords(state)))}: ${counts}`;
  // Each task that failed for good or waits for a decision, with the command that shows its output.
  const failures = view.tasks
    .filter((task) => (task.state === "failed" || task.state === "awaiting_decision") && task.attempt > 0)
    .map((task) => `  ${p.red("✗")} ${task.id}: ${task.failure_class ?? "failed"}, attempt ${task.attempt} · ${p.dim(`peh output ${view.run_id} ${task.id}`)}`);
  return [line, ...failures].join("\n");
}
