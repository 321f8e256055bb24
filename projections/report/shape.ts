// Pure. The outcome report's shape (projections/report.ts makes it, report/markdown.ts renders it):
// what `peh report --json` prints, times ISO-8601 UTC.
import type { CheckEvidence, Lineage, PehEvent, SandboxProfile } from "../../events/index.js";
import type { AgentUsageView } from "../agent-usage.js";
import type { GitWork } from "../git-work.js";
import type { SkippedFailure } from "../skipped.js";

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
