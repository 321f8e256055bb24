// What the parts of an executing run share: the options `peh run` gives the orchestrator, the
// progress lines it reports, its outcomes, and what one attempt needs from the run around it.
import type { AgentCli, EventStore, PlanTask, RunId, SandboxMode, TaskId } from "../../../events/index.js";
import type { CommandInput } from "../../../machines/decider/commands.js";
import type { RunState } from "../../../machines/fold/run.js";
import type { PidRecords } from "./attempt-support.js";
import type { Confinement } from "../failure/classify.js";
import type { ProcessStarter } from "../process/process-runner.js";
import type { Redactor } from "../process/redact.js";
import type { RunSandbox } from "../../workspace/run-sandbox.js";
import type { AgentGrants } from "../../workspace/grants.js";
import type { IsolatedWork } from "../../workspace/isolated-work.js";

export interface ExecuteOptions {
  store: EventStore;
  runId: RunId;
  concurrency: number;
  /** Wait for decisions and trust from other terminals instead of exiting. */
  wait: boolean;
  trustRoots: string[];
  agentCommand?: string;
  /** What the user's config grants the agent command (agent.grants), beyond the task's scope. */
  agentGrants?: AgentGrants | undefined;
  /** The agent CLI whose stream agent tasks' output is read as (agent.cli in the config); generic unless given. */
  agentCli?: AgentCli;
  /** Aborted on SIGINT/SIGTERM: drain. */
  signal?: AbortSignal;
  progress: (line: ProgressLine) => void;
  /** How strictly attempts are sandboxed (default auto: where bwrap works). */
  sandbox?: SandboxMode;
  /** Leave a checkpoint for the views when the run stops, if its log has this many events (default 5,000). */
  checkpointAfter?: number;
  /**
   * Many workers (`peh worker` on a shared store): this one claims tasks of the run instead of
   * holding the whole run (runtime/execution/task-claims.ts).
   */
  claims?: RunClaims;
}

/**
 * What a run asks of a worker's claims (TaskClaims, runtime/execution/task-claims.ts): what its
 * StartAttempt carries, the work on a task wrapped for many workers, and letting go at the end.
 */
export interface RunClaims {
  readonly claim: { holder: string; lease_ms: number };
  wrap(run: RunContext, task: PlanTask, work: (() => Promise<void>) | undefined, wake: (ms: number) => void): (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

export type ProgressLine =
  | {
      kind: "task"; index: number; total: number; task: string; ok: boolean; seconds: number; detail?: string; retry: boolean;
      /** A failure's last lines of output (as printed: escape them to show them) and its attempt log. */
      output?: string[]; log?: string;
      /** The attempt after a crash (not a retry). */
      resumed?: boolean;
    }
  | { kind: "started"; index: number; total: number; task: string; attempt: number }
  | { kind: "note"; text: string };

export interface Waiting {
  kind: "waiting";
  reason: string;
  next: string;
}

export type Outcome = { kind: "completed" | "failed" | "aborted" } | Waiting | { kind: "drained" };

/** What every process of an attempt shares: where it runs, where its output goes, the drain. */
export interface ProcessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  redact: Redactor;
  signal: AbortSignal;
  start: ProcessStarter;
}

/** What one attempt needs from the run that executes it (the orchestrator provides it). */
export interface RunContext {
  readonly options: ExecuteOptions;
  /** The run as of the last durable append. */
  readonly state: RunState;
  /** Decides and appends a command, sharing the append with the others of this turn. */
  command(command: CommandInput): Promise<void>;
  /** The process group of every attempt's process, for killing it after a crash. */
  readonly pids: PidRecords;
  /** The run's sandbox: each attempt's profile and how its processes are wrapped. */
  readonly sandbox: RunSandbox;
  processOptions(task: PlanTask, attempt: number): ProcessOptions;
  /** `[Task i/n]`: the task's place in the plan. */
  numbered(task: PlanTask): { index: number; total: number };
  note(text: string): void;
  cwdOf(task: PlanTask): string;
  /**
   * How the attempt was confined (sandboxed? with network?), for its failure's classification;
   * undefined, or no such method: unconfined, classified as without a sandbox.
   */
  confinementOf?(task: PlanTask, attempt: number): Confinement | undefined;
  trustedRoot(task: PlanTask): string | undefined;
  taskState(id: TaskId): string;
  /** Worktrees, commits and the merge queue of isolated tasks (isolation: worktree). */
  readonly isolation: IsolatedWork;
}
