// Pure. The outcome report of a run in Markdown, from its log alone: objective, plan version and
// approver, every task the log shows (in plan order, then those a change dropped) with its
// outcome and evidence, the recoveries and decisions, and the totals.
import { clockTime } from "./log-view.js";
import type { CheckEvidence, PehEvent } from "../events/index.js";
import { foldRun } from "../machines/run.js";
import { stateName } from "../machines/state-name.js";

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
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const code = (text: string) => `\`${text.replaceAll("`", "'")}\``;
const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

export function renderReport(events: readonly PehEvent[]): string {
  const state = foldRun(events);
  const plan = state.plan_spec;
  const records = new Map<string, TaskRecord>();
  const record = (id: string): TaskRecord => {
    let found = records.get(id);
    if (!found) records.set(id, (found = { id, objective: "", attempts: 0, interrupted: 0, duration_ms: 0, evidence: [], last_error: null, skipped_reason: null }));
    return found;
  };
  const happenings: string[] = [];
  const gate: string[] = [];
  let approval: PehEvent | undefined;
  let started: string | undefined;
  let ended: PehEvent | undefined;
  for (const event of events) {
    switch (event.type) {
      case "PLAN_CREATED":
      case "GATE_MODIFIED":
      case "PLAN_CHANGED":
        for (const task of event.data.plan.tasks) record(task.id).objective = task.objective;
        if (event.type !== "PLAN_CREATED") gate.push(`- ${clockTime(event.at)} version ${event.data.plan.version} by ${event.actor}${event.type === "PLAN_CHANGED" ? " (mid-run change)" : ""}: ${event.data.change}`);
        break;
      case "GATE_APPROVED":
        approval = event;
        break;
      case "GATE_REJECTED":
        gate.push(`- ${clockTime(event.at)} rejected by ${event.actor}: ${event.data.reason}`);
        break;
      case "TASK_STARTED":
        started ??= event.at;
        record(event.data.task_id).attempts = event.data.attempt;
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
      case "FAILURE_CLASSIFIED":
        happenings.push(`- ${clockTime(event.at)} **${event.data.task_id}** attempt ${event.data.attempt} failed: ${event.data.class} (${event.data.rule}) — ${code(event.data.evidence || "no output")}`);
        break;
      case "RECOVERY_ATTEMPTED":
        happenings.push(`- ${clockTime(event.at)} **${event.data.task_id}** retry: attempt ${event.data.next_attempt} after ${seconds(event.data.delay_ms)}`);
        break;
      case "RECOVERY_EXPEDITED":
        happenings.push(`- ${clockTime(event.at)} **${event.data.task_id}** retry run now by ${event.actor} (it was due at ${clockTime(event.data.waived_due_at)})`);
        break;
      case "RUN_CANCELLED":
        happenings.push(`- ${clockTime(event.at)} run cancelled by ${event.actor}: ${event.data.reason}`);
        break;
      case "RECOVERY_SUCCEEDED":
        happenings.push(`- ${clockTime(event.at)} **${event.data.task_id}** recovered on attempt ${event.data.attempt}`);
        break;
      case "RECOVERY_ESCALATION":
        happenings.push(`- ${clockTime(event.at)} **${event.data.task_id}** escalated: ${event.data.reason}`);
        break;
      case "PERMISSION_REQUIRED":
        happenings.push(`- ${clockTime(event.at)} **${event.data.task_id}** needs a permission: ${event.data.detail}`);
        break;
      case "DECISION_RECORDED":
        happenings.push(`- ${clockTime(event.at)} **${event.data.task_id}** decision: ${event.data.decision} by ${event.actor}`);
        break;
      case "TASK_INTERRUPTED":
        record(event.data.task_id).interrupted++;
        happenings.push(`- ${clockTime(event.at)} **${event.data.task_id}** attempt ${event.data.attempt} interrupted: ${event.data.reason}`);
        break;
      case "EXECUTION_COMPLETE":
        ended = event;
        break;
      default:
        break;
    }
  }
  const outcome = stateName(state.plan.value);
  const inPlan = (plan?.tasks ?? []).map((task) => task.id as string);
  const planned = new Set(inPlan);
  const dropped = [...records.keys()].filter((id) => !planned.has(id) && records.get(id)!.skipped_reason === "plan_changed");
  const order = [...inPlan, ...dropped];
  const stateOf = (id: string) => {
    const cell = state.tasks.get(id as never);
    return cell ? stateName(cell.value) : "dropped by a change";
  };
  const counts = (name: string) => order.filter((id) => stateOf(id) === name).length;
  const lines = [
    `# ${plan?.objective ?? "Run"}`,
    "",
    `- Run: ${code(state.run_id ?? "?")}`,
    `- Outcome: **${outcome.replaceAll("_", " ")}**${ended?.type === "EXECUTION_COMPLETE" ? ` at ${clockTime(ended.at)}` : " (not finished)"}`,
    `- Plan: version ${plan?.version ?? "?"}${approval?.type === "GATE_APPROVED" ? `, approved (version ${approval.data.version}) by ${approval.actor} at ${clockTime(approval.at)}${approval.data.confirmations.length ? `, confirming ${approval.data.confirmations.map((c) => `${c.task_id} (${code(c.phrase)})`).join(", ")}` : ""}` : ", not approved"}`,
    ...(started && ended ? [`- Elapsed: ${seconds(Date.parse(ended.at) - Date.parse(started))} from the first task to the end`] : []),
    "",
    "## Tasks",
    "",
    "| # | task | outcome | attempts | time | evidence |",
    "|---|---|---|---|---|---|",
    ...order.map((id, i) => {
      const r = record(id);
      const evidence = r.evidence.map((e) => `${code(e.command)} → ${e.exit_code}`).join("; ");
      const detail = r.skipped_reason ? `skipped: ${r.skipped_reason}` : r.last_error && stateOf(id) !== "succeeded" ? r.last_error : evidence;
      return `| ${planned.has(id) ? i + 1 : "–"} | **${id}** ${cell(r.objective)} | ${stateOf(id).replaceAll("_", " ")} | ${r.attempts}${r.interrupted ? ` (${r.interrupted} interrupted)` : ""} | ${r.attempts ? seconds(r.duration_ms) : "–"} | ${cell(detail || "–")} |`;
    }),
    "",
    "## Recoveries and decisions",
    "",
    ...(happenings.length ? happenings : [[...records.values()].some((r) => r.attempts > 1) ? "None recorded." : "None: every task that ran succeeded on its first attempt."]),
    "",
    ...(gate.length ? ["## Plan changes", "", ...gate, ""] : []),
    "## Totals",
    "",
    `${order.length} tasks: ${counts("succeeded")} succeeded, ${counts("failed")} failed, ${counts("skipped") + dropped.length} skipped, ${counts("upstream_failed")} upstream failed, ${order.length - counts("succeeded") - counts("failed") - counts("skipped") - counts("upstream_failed") - dropped.length} not finished. ${events.length} events.`,
    "",
  ];
  return lines.join("\n");
}
