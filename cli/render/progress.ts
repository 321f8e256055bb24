// Progress lines while a run executes, and its summary.
import type { ProgressLine } from "../../runtime/execution/orchestrator.js";
import type { RunView } from "../../projections/run-view.js";
import { skippedFailuresText, type SkippedFailure } from "../../projections/skipped.js";
import { stateWords } from "../../projections/words.js";
import { paint, type Io } from "../output.js";

/** A permanent progress line; a task's start has none (the live view shows it while it runs). */
export function renderProgress(io: Io, line: Exclude<ProgressLine, { kind: "started" }>): string {
  const p = paint(io);
  if (line.kind === "note") return p.dim(`  ${line.text}`);
  const label = `[Task ${line.index}/${line.total}${line.retry ? " RETRY" : ""}]`;
  const mark = line.ok ? p.green("✓") : p.red("✗");
  return `${label} ${mark} ${line.task}: ${line.ok ? `${line.seconds.toFixed(1)}s` : line.detail ?? "failed"}`;
}

/**
 * The last line of a run: its state and counts, green only when nothing failed. A run that went
 * past failures (skipped by policy or by a human) is completed, and says which it went past.
 */
export function renderSummary(io: Io, view: RunView, seconds: number, skippedFailures: readonly SkippedFailure[] = []): string {
  const p = paint(io);
  const { succeeded, failed, skipped, upstream_failed, total } = view.progress;
  const state = view.plan.state;
  const counts = `${succeeded}/${total} succeeded, ${failed} failed, ${skipped} skipped, ${upstream_failed} upstream failed · ${seconds.toFixed(1)}s`;
  if (skippedFailures.length > 0) return `${p.bold(p.yellow(`${stateWords(state)} with ${skippedFailuresText(skippedFailures)}`))} · ${counts}`;
  const color = state === "completed" ? p.green : state === "failed" || state === "aborted" ? p.red : (text: string) => text;
  return `${p.bold(color(stateWords(state)))}: ${counts}`;
}
