// Pure. The outcome report (projections/report.ts) in Markdown, for `peh report`: its times in the
// zone the caller gives (labelled), the task output it quotes made printable.
import { spendText } from "../agent-usage.js";
import { gitWorkLines } from "../git-work.js";
import { lineageText } from "../lineage.js";
import { skippedFailuresText } from "../skipped.js";
import { printable } from "../text/printable.js";
import { sandboxWords } from "../text/sandbox-words.js";
import { utcTime, type TimeFormat } from "../text/time-format.js";
import { plural, stateWords } from "../text/words.js";
import type { Report, ReportEntry, ReportTask } from "./shape.js";

/** A duration in seconds, one decimal: `12.3 s`. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const code = (text: string) => `\`${text.replaceAll("`", "'")}\``;
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The report in Markdown, its times in `time`'s zone (labelled). */
export function renderReport(report: Report, time: TimeFormat = utcTime): string {
  const { plan, totals } = report;
  const approval = plan.approval;
  const confirming = approval?.confirmations.length ? `, confirming ${approval.confirmations.map((c) => `${c.task_id} (${code(c.phrase)})`).join(", ")}` : "";
  const skipped = report.skipped_failures.length ? ` with ${skippedFailuresText(report.skipped_failures)}` : "";
  const line = (entry: ReportEntry) =>
    `- ${time(entry.at)} ${entry.task_id ? `**${entry.task_id}** ` : ""}${entry.text}${entry.evidence === undefined ? "" : ` — ${code(entry.evidence || "no output")}`}`;
  const lines = [
    `# ${report.objective ?? "Run"}`,
    "",
    `- Run: ${code(report.run_id ?? "?")}`,
    `- Outcome: **${stateWords(report.outcome)}${skipped}**${report.ended_at ? ` at ${time(report.ended_at)}` : " (not finished)"}`,
    `- Plan: version ${plan.version ?? "?"}${approval ? `, approved (version ${approval.version}) by ${approval.actor} at ${time(approval.at)}${confirming}` : ", not approved"}`,
    ...(report.elapsed_ms === null ? [] : [`- Elapsed: ${seconds(report.elapsed_ms)} from the first task to the end`]),
    ...(report.lineage ? [`- Lineage: ${lineageText(report.lineage)}`] : []),
    ...report.descendants.map((d) => `- Descendant: ${code(d.run_id)}, ${d.lineage.kind === "fork" ? `forked at event #${d.lineage.at_seq}` : `rerun${d.lineage.from_task ? ` from task ${d.lineage.from_task}` : ""}`}`),
    "",
    "## Tasks",
    "",
    "| # | task | outcome | attempts | time | evidence |",
    "|---|---|---|---|---|---|",
    ...report.tasks.map((task) => {
      const evidence = task.evidence.map((e) => `${code(e.command)} → ${e.exit_code}`).join("; ");
      const detail = task.skipped_reason ? `skipped: ${task.skipped_reason}` : task.last_error && task.outcome !== "succeeded" ? task.last_error : evidence;
      const outcome = task.outcome === "dropped" ? "dropped by a change" : task.reused_from ? `reused from ${code(task.reused_from.run_id)} #${task.reused_from.seq}` : stateWords(task.outcome);
      const attempts = `${task.attempts}${task.interrupted ? ` (${task.interrupted} interrupted)` : ""}`;
      return `| ${task.number ?? "–"} | **${task.id}** ${cell(task.objective)} | ${outcome} | ${attempts} | ${task.attempts ? seconds(task.duration_ms) : "–"} | ${cell(detail || "–")} |`;
    }),
    "",
    "## Recoveries and decisions",
    "",
    ...(report.recoveries.length ? report.recoveries.map(line) : [report.tasks.some((task) => task.attempts > 1) ? "None recorded." : "None: every task that ran succeeded on its first attempt."]),
    "",
    ...(report.plan_changes.length ? ["## Plan changes", "", ...report.plan_changes.map(line), ""] : []),
    ...sandboxSection(report.tasks),
    ...(report.git ? ["## Git", "", ...gitWorkLines(report.git).map((text) => `- ${text}`), ""] : []),
    "## Totals",
    "",
    `${plural(totals.tasks, "task")}: ${totals.succeeded} succeeded, ${totals.reused ? `${totals.reused} reused, ` : ""}${totals.failed} failed, ${totals.skipped} skipped, ${totals.upstream_failed} upstream failed, ${totals.not_finished} not finished. ${plural(totals.events, "event")}.`,
    "",
    ...(report.agent_usage
      ? [
          "## Agents",
          "",
          ...report.agent_usage.tasks.map((t) => `- **${t.task_id}** (${t.cli}, ${plural(t.attempts, "attempt")}): ${spendText(t)}`),
          `- Run: ${spendText(report.agent_usage.total)}`,
          "",
        ]
      : []),
  ];
  // Evidence and reasons quote task output: a report shown in a terminal must not obey it.
  return printable(lines.join("\n"));
}

/** Where each task's latest attempt ran: only when the log records profiles. */
function sandboxSection(tasks: readonly ReportTask[]): string[] {
  const ran = tasks.filter((task) => task.sandbox !== null);
  if (ran.length === 0) return [];
  return ["## Sandbox", "", ...ran.map((task) => `- **${task.id}**: ${sandboxWords(task.sandbox!)}`), ""];
}
