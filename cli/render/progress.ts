// Progress lines while a run executes, and its summary.
import type { ProgressLine } from "../../runtime/execution/orchestrator.js";
import type { RunView } from "../../projections/run-view.js";
import { paint, type Io } from "../output.js";

/** A permanent progress line; a task's start has none (the live view shows it while it runs). */
export function renderProgress(io: Io, line: Exclude<ProgressLine, { kind: "started" }>): string {
  const p = paint(io);
  if (line.kind === "note") return p.dim(`  ${line.text}`);
  // An attempt after a crash or a drain resumes the task; it is no retry of a failure.
  const label = `[Task ${line.index}/${line.total}${line.resumed ? " RESUMED" : line.retry ? " RETRY" : ""}]`;
  const mark = line.ok ? p.green("✓") : p.red("✗");
  return `${label} ${mark} ${line.task}: ${line.ok ? `${line.seconds.toFixed(1)}s` : line.detail ?? "failed"}`;
}

export function renderSummary(io: Io, view: RunView, seconds: number): string {
  const p = paint(io);
  const { succeeded, failed, skipped, upstream_failed, total } = view.progress;
  return `${p.bold(view.plan.state.replaceAll("_", " "))}: ${succeeded}/${total} succeeded, ${failed} failed, ${skipped} skipped, ${upstream_failed} upstream failed · ${seconds.toFixed(1)}s`;
}
