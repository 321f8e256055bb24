// Pure. The execution log as people and tools read it: one entry per event, in order, with the
// task's place in the plan at that moment and the details that matter for its type. The JSON
// form is the public pattern's log entry (timestamp, event, task_id, task_name, details) plus
// seq and actor.
import type { PehEvent, Plan, RiskyTask } from "../events/index.js";
import { grantedWords } from "../machines/grants.js";
import { budgetWords } from "../machines/run-budget.js";
import { plural, stateWords } from "./text/words.js";
import { printable } from "./text/printable.js";
import { sandboxWords } from "./text/sandbox-words.js";
import { reportText } from "./agent-usage.js";

export interface LogEntry {
  seq: number;
  timestamp: string;
  event: PehEvent["type"];
  actor: string;
  /** Where the human acted when not on the command line (`web`: peh ui). */
  via?: string;
  task_id: string | null;
  /** The task's objective, as the plan stood when the event happened. */
  task_name: string | null;
  details: Record<string, unknown>;
  /** `[Task 2/5]`: the task's place in the plan at that moment (text only). */
  place: { index: number; total: number } | null;
  /** One line of what happened, for the text form. */
  summary: string;
  /** The machine's move, `pending → ready`, when the event moved it. */
  transition: string | null;
}

/** An event's time in UTC, labelled: `2026-01-15 14:23:45 UTC` (the text views use the reader's zone). */
export { utcTime as clockTime } from "./text/time-format.js";

/** The events after which a run has nothing more to log: it is complete, failed, aborted or rejected. */
export const RUN_ENDING_EVENTS: ReadonlySet<PehEvent["type"]> = new Set(["EXECUTION_COMPLETE", "GATE_REJECTED"]);

/** A stateful reader: feed it the events in order (a whole log, or a live stream). */
export function logReader(): (event: PehEvent) => LogEntry {
  let plan: Plan | undefined;
  // Each task's place in the current plan (ids are unique in a recorded plan): one lookup per
  // event, not a scan of the plan, so a long log of a big plan stays linear.
  let position = new Map<string, number>();
  return (event) => {
    if (event.type === "PLAN_CREATED" || event.type === "GATE_MODIFIED" || event.type === "PLAN_CHANGED") {
      plan = event.data.plan;
      position = new Map(plan.tasks.map((task, i) => [task.id, i]));
    }
    const data = event.data as Record<string, unknown>;
    const task_id = typeof data.task_id === "string" ? data.task_id : null;
    const index = task_id === null ? -1 : (position.get(task_id) ?? -1);
    const { details, summary } = describe(event);
    return {
      seq: event.seq,
      timestamp: event.at,
      event: event.type,
      actor: event.actor,
      ...(event.via ? { via: event.via } : {}),
      task_id,
      task_name: index >= 0 ? plan!.tasks[index]!.objective : null,
      details,
      place: index >= 0 ? { index: index + 1, total: plan!.tasks.length } : null,
      // Evidence and reasons quote task output: never with its control characters live on a terminal.
      summary: printable(summary, { oneLine: true }),
      transition: event.to && event.from !== event.to ? `${event.from ? stateWords(event.from) : "∅"} → ${stateWords(event.to)}` : null,
    };
  };
}

export function logEntries(events: Iterable<PehEvent>): LogEntry[] {
  const read = logReader();
  return [...events].map(read);
}

/** The public pattern's log entry, plus seq and actor: what `peh log --json` prints per line. */
export function logJson(entry: LogEntry): Record<string, unknown> {
  const { timestamp, event, task_id, task_name, details, seq, actor, via } = entry;
  return { timestamp, event, task_id, task_name, details, seq, actor, ...(via ? { via } : {}) };
}

/** A commit's name as people read it. */
const short = (commit: string) => commit.slice(0, 10);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** The details that matter for each type, and a line saying them. */
function describe(event: PehEvent): { details: Record<string, unknown>; summary: string } {
  // `via web`: the human acted from `peh ui`; absent for the command line.
  const by = event.actor === "system" ? "" : ` by ${event.actor}${event.via ? ` via ${event.via}` : ""}`;
  switch (event.type) {
    case "PLAN_CREATED": {
      const { plan, planner, workspace, lineage } = event.data;
      const from = lineage === undefined ? "" : lineage.kind === "fork" ? `; forked from ${lineage.source_run} at #${lineage.at_seq}` : `; rerun of ${lineage.source_run}${lineage.from_task ? ` from ${lineage.from_task}` : ""}, reusing ${lineage.reused.length}`;
      return { details: { version: plan.version, tasks: plan.tasks.length, planner, workspace, ...(lineage ? { lineage } : {}) }, summary: `version 1, ${plural(plan.tasks.length, "task")} (planner: ${planner})${from}` };
    }
    case "GATE_APPROVAL_REQUESTED": {
      const { version, risky_tasks, note } = event.data;
      const risky = risky_tasks.map((r) => r.task_id).join(", ");
      return { details: { version, risky_tasks, ...(note ? { note } : {}) }, summary: `version ${version}${risky ? `, risky: ${risky}` : ""}${note ? ` (answer: ${note})` : ""}` };
    }
    case "GATE_APPROVED": {
      const { version, confirmations } = event.data;
      const confirmed = confirmedList(confirmations);
      return { details: { version, approver: event.actor, confirmations }, summary: `version ${version}${by}${confirmed ? ` (confirmed ${confirmed})` : ""}` };
    }
    case "GATE_MODIFIED":
      return { details: { version: event.data.plan.version, change: event.data.change }, summary: `version ${event.data.plan.version}${by}: ${event.data.change}` };
    case "PLAN_CHANGED": {
      // The phrases typed for the change, with the grants each gave: a change mid-run grants too.
      const { confirmations } = event.data;
      const confirmed = confirmedList(confirmations);
      return {
        details: { version: event.data.plan.version, change: event.data.change, ...(confirmations.length > 0 ? { confirmations } : {}) },
        summary: `version ${event.data.plan.version}${by}: ${event.data.change}${confirmed ? ` (confirmed ${confirmed})` : ""}`,
      };
    }
    case "GATE_CLARIFICATION_REQUESTED":
      return { details: { version: event.data.version, question: event.data.question }, summary: `${by.trim()}: ${event.data.question}`.replace(/^: /, "") };
    case "GATE_REJECTED":
      return { details: { version: event.data.version, reason: event.data.reason }, summary: `version ${event.data.version}${by}: ${event.data.reason}` };
    case "RUN_CANCELLED":
      return { details: { reason: event.data.reason, actor: event.actor }, summary: `cancelled${by}: ${event.data.reason}` };
    case "EXECUTION_COMPLETE": {
      const { outcome, counts } = event.data;
      return {
        details: { outcome, counts },
        summary: `${outcome}: ${counts.succeeded} succeeded, ${counts.reused ? `${counts.reused} reused, ` : ""}${counts.failed} failed, ${counts.skipped} skipped, ${counts.upstream_failed} upstream failed`,
      };
    }
    case "BOOTSTRAP_PHASE_STARTED":
      return { details: { phase: event.data.phase }, summary: event.data.phase };
    case "BOOTSTRAP_PHASE_COMPLETED":
      return { details: { phase: event.data.phase, diagnostics: event.data.diagnostics }, summary: `${event.data.phase}${event.data.diagnostics.length ? ` (${event.data.diagnostics.join("; ")})` : ""}` };
    case "BOOTSTRAP_PHASE_FAILED":
      return { details: { phase: event.data.phase, error: event.data.error }, summary: `${event.data.phase}: ${event.data.error.message}` };
    case "WORKER_SPAWNING":
      return { details: { worker_id: event.data.worker_id, attempt: event.data.attempt, cwd: event.data.cwd }, summary: `${event.data.worker_id} in ${event.data.cwd}` };
    case "WORKER_TRUST_REQUIRED":
      return { details: { worker_id: event.data.worker_id, cwd: event.data.cwd }, summary: `${event.data.worker_id}: ${event.data.cwd}` };
    case "WORKER_TRUST_RESOLVED": {
      const resolution = event.data.resolution;
      const how = resolution.source === "manual" ? `trusted by ${resolution.by}` : `inside trusted root ${resolution.root}`;
      return { details: { worker_id: event.data.worker_id, resolution }, summary: `${event.data.worker_id}: ${how}` };
    }
    case "WORKER_READY":
      return { details: { worker_id: event.data.worker_id }, summary: event.data.worker_id };
    case "WORKER_RUNNING": {
      const { worker_id, pid, sandbox, made } = event.data;
      const said = [...(made ? [`made the scope directory ${made} (it did not exist)`] : []), ...(sandbox ? [sandboxWords(sandbox)] : [])];
      return {
        details: { worker_id, ...(pid ? { pid } : {}), ...(made ? { made } : {}), ...(sandbox ? { sandbox } : {}) },
        summary: said.length ? `${worker_id}: ${said.join(" · ")}` : worker_id,
      };
    }
    case "WORKER_FINISHED":
      return { details: { worker_id: event.data.worker_id, exit_code: event.data.exit_code }, summary: `${event.data.worker_id}: exit ${event.data.exit_code}` };
    case "WORKER_FAILED":
      return { details: { worker_id: event.data.worker_id, error: event.data.error, exit_code: event.data.exit_code, signal: event.data.signal }, summary: `${event.data.worker_id}: ${event.data.error.message}` };
    case "WORKER_CLAIMED": {
      const { worker_id, holder, lease_ms } = event.data;
      return { details: { worker_id, holder, lease_ms }, summary: `${worker_id}: claimed by ${holderWords(holder)} (lease ${seconds(lease_ms)})` };
    }
    case "WORKER_LEASE_EXPIRED": {
      const { worker_id, holder, by } = event.data;
      return { details: { worker_id, holder, by }, summary: `${worker_id}: ${holderWords(holder)} stopped renewing its lease; taken over by ${holderWords(by)}` };
    }
    case "TASK_READY":
      return { details: {}, summary: "" };
    case "TASK_STARTED":
      return { details: { attempt: event.data.attempt, worker_id: event.data.worker_id }, summary: `attempt ${event.data.attempt}` };
    case "TASK_VERIFYING": {
      const { attempt, agent } = event.data;
      return { details: { attempt, ...(agent ? { agent } : {}) }, summary: `attempt ${attempt}: acceptance tests${agent ? ` (${reportText(agent)})` : ""}` };
    }
    case "TASK_COMPLETED": {
      const { attempt, duration_ms, evidence } = event.data;
      return { details: { attempt, duration_ms, evidence }, summary: `attempt ${attempt}, ${seconds(duration_ms)}, ${evidence.length ? `${plural(evidence.length, "check")} passed` : "no acceptance tests"}` };
    }
    case "TASK_FAILED": {
      const { attempt, stage, error, exit_code, signal, timed_out, duration_ms, conflicts, agent } = event.data;
      return {
        details: { attempt, stage, error, exit_code, signal, timed_out, duration_ms, ...(conflicts ? { conflicts } : {}), ...(agent ? { agent } : {}) },
        summary: `attempt ${attempt} (${stage}): ${error.message}${agent ? ` (${reportText(agent)})` : ""}`,
      };
    }
    case "FAILURE_CLASSIFIED": {
      const { attempt, rule, evidence } = event.data;
      return { details: { attempt, class: event.data.class, rule, evidence }, summary: `${event.data.class} (${rule}): ${evidence}` };
    }
    case "RECOVERY_ATTEMPTED": {
      const { next_attempt, delay_ms, due_at } = event.data;
      return { details: { next_attempt, delay_ms, due_at }, summary: `attempt ${next_attempt} in ${seconds(delay_ms)}` };
    }
    case "RECOVERY_EXPEDITED":
      return { details: { next_attempt: event.data.next_attempt, waived_due_at: event.data.waived_due_at, actor: event.actor }, summary: `attempt ${event.data.next_attempt} now${by}, not at ${event.data.waived_due_at}` };
    case "RECOVERY_SUCCEEDED":
      return { details: { attempt: event.data.attempt }, summary: `on attempt ${event.data.attempt}` };
    case "RECOVERY_ESCALATION": {
      const { reason, choices } = event.data;
      return { details: { class: event.data.class, reason, choices }, summary: `${reason} — choices: ${choices.join(", ")}` };
    }
    case "PERMISSION_REQUIRED":
      return { details: { detail: event.data.detail }, summary: event.data.detail };
    case "RUN_BUDGET_SPENT": {
      const { next_attempt, budget, spent } = event.data;
      return { details: { next_attempt, budget, spent }, summary: `the run's budget is spent (${budgetWords(budget, spent)}): attempt ${next_attempt} not started, a human decides` };
    }
    case "DECISION_RECORDED":
      return { details: { decision: event.data.decision, actor: event.actor }, summary: `${event.data.decision}${by}` };
    case "TASK_SKIPPED":
      return { details: { reason: event.data.reason }, summary: event.data.reason };
    case "TASK_INTERRUPTED":
      return { details: { attempt: event.data.attempt, reason: event.data.reason }, summary: `attempt ${event.data.attempt}: ${event.data.reason}` };
    case "TASK_REUSED": {
      const { source_run, source_seq, attempt, duration_ms, evidence } = event.data;
      return { details: { source_run, source_seq, attempt, duration_ms, evidence }, summary: `reused from ${source_run} #${source_seq} (attempt ${attempt}, ${evidence.length ? `${plural(evidence.length, "check")} passed` : "no acceptance tests"})` };
    }
    case "RUN_BRANCH_STARTED": {
      const { branch, head, base, snapshot, reused } = event.data;
      // A rerun's branch: the source's base with the reused tasks' commits on it (issue 22).
      const kept = reused === undefined ? "" : `, with the reused commits of ${reused.map((r) => `${r.task_id} ${short(r.commit)}${r.commit === r.source_commit ? "" : ` (replayed from ${short(r.source_commit)})`}`).join(", ") || "no task"}`;
      return {
        details: { branch, head, base, snapshot, ...(reused ? { reused } : {}) },
        summary: `${branch} at ${short(base)}${snapshot ? ` (uncommitted changes on ${head ? short(head) : "no commit"} taken into it)` : ""}${kept}`,
      };
    }
    case "RUN_LANDED":
      return { details: { branch: event.data.branch, from: event.data.from, to: event.data.to, actor: event.actor }, summary: `${event.data.branch} ${short(event.data.from)} → ${short(event.data.to)}${by}` };
    case "WORKTREE_CREATED":
      return { details: { attempt: event.data.attempt, path: event.data.path, base: event.data.base }, summary: `attempt ${event.data.attempt} at ${short(event.data.base)} in ${event.data.path}` };
    case "TASK_COMMITTED":
      return { details: { attempt: event.data.attempt, base: event.data.base, commit: event.data.commit }, summary: `attempt ${event.data.attempt}: ${short(event.data.commit)} on ${short(event.data.base)}` };
    case "TASK_REBASED":
      return { details: { attempt: event.data.attempt, onto: event.data.onto, commit: event.data.commit }, summary: `attempt ${event.data.attempt}: ${short(event.data.commit)} onto ${short(event.data.onto)}` };
    case "TASK_MERGED": {
      const { attempt, onto, commit, evidence } = event.data;
      return { details: { attempt, onto, commit, evidence }, summary: `attempt ${attempt}: ${short(commit)} on the run's branch${evidence.length ? `, ${plural(evidence.length, "check")} passed again on the rebased tree` : ""}` };
    }
    case "WORKTREE_ARCHIVED":
      return { details: { attempt: event.data.attempt, ref: event.data.ref, commit: event.data.commit }, summary: `attempt ${event.data.attempt} kept as ${event.data.ref}` };
    case "WORKTREE_REMOVED":
      return { details: { attempt: event.data.attempt, path: event.data.path }, summary: `attempt ${event.data.attempt}: ${event.data.path}` };
    default: {
      const unhandled: never = event;
      return { details: {}, summary: String((unhandled as PehEvent).type) };
    }
  }
}

/** `deploy, fetch: the network` — each task confirmed, with the rights its phrase granted. */
function confirmedList(confirmations: readonly RiskyTask[]): string {
  return confirmations.map((c) => (c.grants ? `${c.task_id}: ${grantedWords(c.grants)}` : c.task_id)).join(", ");
}

/** A worker process as a claim names it (JSON: pid, host, start), as people read it. */
function holderWords(holder: string): string {
  try {
    const { pid, host } = JSON.parse(holder) as { pid?: unknown; host?: unknown };
    return typeof pid === "number" && typeof host === "string" ? `pid ${pid} on ${host}` : holder;
  } catch {
    return holder;
  }
}
