// Pure. The outcome report of a run, from its log alone: objective, plan version and approver,
// every task the log shows (in plan order, then those a change dropped) with its outcome and
// evidence, the recoveries and decisions, and the totals. As data (`peh report --json`, times
// ISO-8601 UTC) and as Markdown (times in the zone the caller gives, labelled).
// The report's shape is in report/shape.ts, its Markdown in report/markdown.ts.
import type { Lineage, PehEvent } from "../events/index.js";
import { agentUsageOf, type AgentUsageView } from "./agent-usage.js";
import { foldRun } from "../machines/fold/run.js";
import { budgetWords } from "../machines/run-budget.js";
import { gitWorkOf } from "./git-work.js";
import { stateName } from "../machines/fold/state-name.js";
import { skippedFailuresOf, withDeciders } from "./skipped.js";
import { seconds } from "./report/markdown.js";
import type { Report, ReportEntry, ReportTask } from "./report/shape.js";

export type { Report, ReportEntry, ReportTask } from "./report/shape.js";
export { renderReport } from "./report/markdown.js";

/** What the log says of a task, before the plan gives it its place and its machine its outcome. */
type TaskRecord = Omit<ReportTask, "number" | "outcome">;

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
