// Pure. The outcome report of a run, from its log alone: objective, plan version and approver,
// every task the log shows (in plan order, then those a change dropped) with its outcome and
// evidence, the recoveries and decisions, and the totals. As data (`peh report --json`, times
// ISO-8601 UTC) and as Markdown (times in the zone the caller gives, labelled).
import type { CheckEvidence, Lineage, PehEvent, SandboxProfile } from "../events/index.js";
import { agentUsageOf, spendText, type AgentUsageView } from "./agent-usage.js";
import { foldRun } from "../machines/fold/run.js";
import { budgetWords } from "../machines/run-budget.js";
import { gitWorkLines, gitWorkOf, type GitWork } from "./git-work.js";
import { printable } from "./text/printable.js";
import { sandboxWords } from "./text/sandbox-words.js";
import { stateName } from "../machines/fold/state-name.js";
import { skippedFailuresOf, skippedFailuresText, withDeciders, type SkippedFailure } from "./skipped.js";
import { utcTime, type TimeFormat } from "./text/time-format.js";
import { lineageText } from "./lineage.js";
import { plural, stateWords } from "./text/words.js";

export interface ReportTask {
  /** Its place in the plan; null for a task a change dropped. */
  number: number | null;
  id: string;
  objective: string;
  /** Its task machine's state, or `dropped` for a task a change dropped. */
  outcome: string;
  attempts: number;
  /** Attempts stopped by a crash or a drain (resumed, not retried). */
  interrupted: number;
  duration_ms: number;
  evidence: CheckEvidence[];
  last_error: string | null;
  skipped_reason: string | null;
  /** The profile its latest attempt ran under (null: it never ran, or the log predates the sandbox). */
  sandbox: SandboxProfile | null;
  /** Rerun (issue 22): the run and event whose result this task took over, or null. */
  reused_from: { run_id: string; seq: number } | null;
}

/** A recovery or decision, or a change to the plan: when, what, and the output it quotes. */
export interface ReportEntry {
  at: string;
  event: PehEvent["type"];
  task_id: string | null;
  actor: string;
  text: string;
  evidence?: string;
}

export interface Report {
  run_id: string | null;
  objective: string | null;
  /** The plan machine's state: completed, failed, aborted, executing… */
  outcome: string;
  ended_at: string | null;
  plan: { version: number | null; approval: { version: number; actor: string; at: string; confirmations: { task_id: string; phrase: string }[] } | null };
  /** From the first task's start to the end, once the run has ended. */
  elapsed_ms: number | null;
  tasks: ReportTask[];
  recoveries: ReportEntry[];
  plan_changes: ReportEntry[];
  /** The tasks skipped after a failure, by policy or by whom. */
  skipped_failures: SkippedFailure[];
  totals: { tasks: number; succeeded: number; reused: number; failed: number; skipped: number; upstream_failed: number; not_finished: number; events: number };
  /** Where this run came from (a rerun's or a fork's source), and the runs rerun or forked from it. */
  lineage: Lineage | null;
  descendants: { run_id: string; lineage: Lineage }[];
  /** Isolated work: the run's branch, each task's commit, the archive refs (absent without a branch). */
  git?: GitWork;
  /** What the agent CLIs spent, per task and in all (absent when no agent's stream was read). */
  agent_usage?: AgentUsageView;
}

interface TaskRecord {
  id: string;
  objective: string;
  attempts: number;
  /** Attempts stopped by a crash or a drain: resumed, not retried, but not a first success either. */
  interrupted: number;
  duration_ms: number;
  evidence: CheckEvidence[];
  last_error: string | null;
  skipped_reason: string | null;
  sandbox: SandboxProfile | null;
  reused_from: { run_id: string; seq: number } | null;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const code = (text: string) => `\`${text.replaceAll("`", "'")}\``;
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** `descendants`: the runs rerun or forked from this one (found by the caller in the store). */
export function reportOf(events: readonly PehEvent[], descendants: { run_id: string; lineage: Lineage }[] = []): Report {
  const state = foldRun(events);
  const plan = state.plan_spec;
  const records = new Map<string, TaskRecord>();
  const record = (id: string): TaskRecord => {
    let found = records.get(id);
    if (!found) records.set(id, (found = { id, objective: "", attempts: 0, interrupted: 0, duration_ms: 0, evidence: [], last_error: null, skipped_reason: null, sandbox: null, reused_from: null }));
    return found;
  };
  const happenings: ReportEntry[] = [];
  const gate: ReportEntry[] = [];
  const entry = (event: PehEvent, text: string, evidence?: string): ReportEntry => {
    const task_id = "task_id" in event.data ? String(event.data.task_id) : null;
    return { at: event.at, event: event.type, task_id, actor: event.actor, text, ...(evidence === undefined ? {} : { evidence }) };
  };
  let approval: PehEvent | undefined;
  let started: string | undefined;
  let ended: PehEvent | undefined;
  for (const event of events) {
    switch (event.type) {
      case "PLAN_CREATED":
      case "GATE_MODIFIED":
      case "PLAN_CHANGED":
        for (const task of event.data.plan.tasks) record(task.id).objective = task.objective;
        if (event.type !== "PLAN_CREATED") gate.push(entry(event, `version ${event.data.plan.version} by ${event.actor}${event.type === "PLAN_CHANGED" ? " (mid-run change)" : ""}: ${event.data.change}`));
        break;
      case "GATE_APPROVED":
        approval = event;
        break;
      case "GATE_REJECTED":
        gate.push(entry(event, `rejected by ${event.actor}: ${event.data.reason}`));
        break;
      case "TASK_STARTED":
        started ??= event.at;
        record(event.data.task_id).attempts = event.data.attempt;
        break;
      case "WORKER_RUNNING":
        if (event.data.sandbox) record(event.data.task_id).sandbox = event.data.sandbox;
        break;
      case "TASK_COMPLETED": {
        const r = record(event.data.task_id);
        r.duration_ms = event.data.duration_ms;
        r.evidence = event.data.evidence;
        break;
      }
      case "TASK_FAILED": {
        const r = record(event.data.task_id);
        r.last_error = event.data.error.message;
        r.duration_ms = event.data.duration_ms;
        if (event.data.evidence.length) r.evidence = event.data.evidence;
        break;
      }
      case "TASK_SKIPPED":
        record(event.data.task_id).skipped_reason = event.data.reason;
        break;
      case "TASK_REUSED": {
        const r = record(event.data.task_id);
        r.duration_ms = event.data.duration_ms;
        r.evidence = event.data.evidence;
        r.reused_from = { run_id: event.data.source_run, seq: event.data.source_seq };
        break;
      }
      case "FAILURE_CLASSIFIED":
        happenings.push(entry(event, `attempt ${event.data.attempt} failed: ${event.data.class} (${event.data.rule})`, event.data.evidence));
        break;
      case "RECOVERY_ATTEMPTED":
        happenings.push(entry(event, `retry: attempt ${event.data.next_attempt} after ${seconds(event.data.delay_ms)}`));
        break;
      case "RECOVERY_EXPEDITED":
        happenings.push(entry(event, `retry run now by ${event.actor} (it was due at ${event.data.waived_due_at})`));
        break;
      case "RUN_CANCELLED":
        happenings.push(entry(event, `run cancelled by ${event.actor}: ${event.data.reason}`));
        break;
      case "RECOVERY_SUCCEEDED":
        happenings.push(entry(event, `recovered on attempt ${event.data.attempt}`));
        break;
      case "RECOVERY_ESCALATION":
        happenings.push(entry(event, `escalated: ${event.data.reason}`));
        break;
      case "PERMISSION_REQUIRED":
        happenings.push(entry(event, `needs a permission: ${event.data.detail}`));
        break;
      case "RUN_BUDGET_SPENT":
        happenings.push(entry(event, `not started: the run's budget is spent (${budgetWords(event.data.budget, event.data.spent)}); attempt ${event.data.next_attempt} waits for a human`));
        break;
      case "DECISION_RECORDED":
        happenings.push(entry(event, `decision: ${event.data.decision} by ${event.actor}`));
        break;
      case "TASK_INTERRUPTED":
        record(event.data.task_id).interrupted++;
        happenings.push(entry(event, `attempt ${event.data.attempt} interrupted: ${event.data.reason}`));
        break;
      case "EXECUTION_COMPLETE":
        ended = event;
        break;
      default:
        break;
    }
  }
  const outcome = stateName(state.plan.value);
  const git = gitWorkOf(events);
  const inPlan = (plan?.tasks ?? []).map((task) => task.id as string);
  const planned = new Set(inPlan);
  const dropped = [...records.keys()].filter((id) => !planned.has(id) && records.get(id)!.skipped_reason === "plan_changed");
  const order = [...inPlan, ...dropped];
  const stateOf = (id: string) => {
    const cell = state.tasks.get(id as never);
    return cell ? stateName(cell.value) : "dropped";
  };
  const count = (name: string) => order.filter((id) => stateOf(id) === name).length;
  const finished = count("succeeded") + count("reused") + count("failed") + count("skipped") + count("upstream_failed") + dropped.length;
  return {
    run_id: state.run_id,
    objective: plan?.objective ?? null,
    outcome,
    ended_at: ended?.at ?? null,
    plan: {
      version: plan?.version ?? null,
      approval:
        approval?.type === "GATE_APPROVED"
          ? { version: approval.data.version, actor: approval.actor, at: approval.at, confirmations: approval.data.confirmations.map(({ task_id, phrase }) => ({ task_id, phrase })) }
          : null,
    },
    elapsed_ms: started && ended ? Date.parse(ended.at) - Date.parse(started) : null,
    tasks: order.map((id, i) => ({ number: planned.has(id) ? i + 1 : null, ...record(id), outcome: stateOf(id) })),
    recoveries: happenings,
    plan_changes: gate,
    skipped_failures: withDeciders(skippedFailuresOf(state), events),
    ...(git ? { git } : {}),
    totals: {
      tasks: order.length,
      succeeded: count("succeeded"),
      reused: count("reused"),
      failed: count("failed"),
      skipped: count("skipped") + dropped.length,
      upstream_failed: count("upstream_failed"),
      not_finished: order.length - finished,
      events: events.length,
    },
    lineage: state.lineage,
    descendants,
    ...usage(events),
  };
}

function usage(events: readonly PehEvent[]): { agent_usage?: AgentUsageView } {
  const agent_usage = agentUsageOf(events);
  return agent_usage ? { agent_usage } : {};
}

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
