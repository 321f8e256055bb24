// `peh worker`: on any number of hosts sharing a store, each worker looks for approved runs with
// work left and executes them as `peh run` would (trust, recovery, resuming what a crash left).
// On PostgreSQL the workers split each run's tasks: each claims ready tasks and executes their
// attempts (task-claims.ts: a claim is an append at the expected version, its lease renewed on
// the server's clock while the attempt runs); a worker that dies or stalls past its lease has its
// attempt interrupted by another, and re-run if the task is idempotent, else a human is asked;
// its late results are refused by the machines. On the embedded store a worker holds the whole
// run (its lease file), as `peh run` does. At-least-once execution, exactly-once recording.
import type { AgentGrants } from "../workspace/grants.js";
import type { SandboxMode } from "../../events/index.js";
import { isPehError, type EventStore, type RunId } from "../../events/index.js";
import { stateName } from "../../machines/fold/state-name.js";
import { viewStateOf } from "../view-state.js";
import { delay } from "./delay.js";
import { Orchestrator, type Outcome, type ProgressLine } from "./orchestrator.js";
import { PostgresEventStore } from "../../events/adapters.js";
import { TaskClaims } from "./task-claims.js";

/** Plan states in which a run has work a worker can do. */
const WORKABLE = new Set(["approved", "bootstrapping", "executing", "aborting"]);

export interface WorkerOptions {
  store: EventStore;
  /** Tasks at once within a run. */
  concurrency: number;
  /** Only this run. */
  run?: RunId;
  trustRoots: string[];
  agentCommand?: string;
  /** What the user's config grants the agent command (agent.grants). */
  agentGrants?: AgentGrants | undefined;
  /** How strictly attempts are sandboxed, as `peh run --sandbox`. */
  sandbox?: SandboxMode;
  /** How long to wait between looks for work when there is none (ms). */
  idleMs?: number;
  /** How long an attempt's claim outlives its last renewal (ms; default $PEH_TASK_LEASE_SECONDS, or 30 s). */
  leaseMs?: number;
  /** Stop once no run has work left (for scripts and tests), instead of waiting for more. */
  untilIdle?: boolean;
  signal: AbortSignal;
  report(line: WorkerLine): void;
}

export type WorkerLine =
  | { kind: "took"; run: RunId }
  | { kind: "progress"; run: RunId; line: ProgressLine }
  | { kind: "outcome"; run: RunId; outcome: Outcome }
  | { kind: "lost"; run: RunId; why: string };

/** Runs until aborted (or idle, with `untilIdle`). */
export async function workLoop(options: WorkerOptions): Promise<void> {
  // A run that waits for a human is looked at again only once its log has grown.
  const waitingAt = new Map<RunId, number>();
  while (!options.signal.aborted) {
    let worked = false;
    let busyElsewhere = false;
    for (const summary of await options.store.listRuns()) {
      if (options.signal.aborted) return;
      const runId = summary.run_id;
      if (options.run !== undefined && runId !== options.run) continue;
      if (waitingAt.get(runId) === summary.events) continue;
      const { state } = await viewStateOf(options.store, runId);
      if (!WORKABLE.has(stateName(state.plan.value))) continue;
      const outcome = await execute(options, runId);
      if (outcome === "held") {
        busyElsewhere = true;
        continue;
      }
      worked = true;
      if (outcome.kind === "waiting") waitingAt.set(runId, await options.store.version(runId));
      else waitingAt.delete(runId);
    }
    if (!worked && options.untilIdle && !busyElsewhere) return;
    if (!worked) await delay(options.idleMs ?? 1_000, options.signal).done;
  }
}

/** Executes one run if nobody else does: its outcome, or "held" when another peh has it. */
async function execute(options: WorkerOptions, runId: RunId): Promise<Outcome | "held"> {
  try {
    let took = false;
    // On a shared store, workers split the run's tasks between them: each claims attempts.
    const claims = options.store instanceof PostgresEventStore ? new TaskClaims(options.store.leases, runId, options.leaseMs) : undefined;
    const outcome = await new Orchestrator({
      store: options.store,
      runId,
      ...(claims ? { claims } : {}),
      concurrency: options.concurrency,
      wait: false,
      trustRoots: options.trustRoots,
      ...(options.agentCommand ? { agentCommand: options.agentCommand } : {}),
      agentGrants: options.agentGrants,
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
      signal: options.signal,
      progress: (line) => {
        if (!took) options.report({ kind: "took", run: runId });
        took = true;
        options.report({ kind: "progress", run: runId, line });
      },
    }).execute();
    options.report({ kind: "outcome", run: runId, outcome });
    return outcome;
  } catch (error) {
    // Another peh executes it (its lease), or took it over while this one stalled (an append
    // refused at the expected version): either way, the run is not this worker's now.
    if (isPehError(error, "APPEND_CONFLICT")) {
      if (!/being run by another peh/.test(error.message)) options.report({ kind: "lost", run: runId, why: error.message });
      return "held";
    }
    if (isPehError(error, "WAITING_FOR_HUMAN") || isPehError(error, "USAGE")) {
      options.report({ kind: "lost", run: runId, why: error.message });
      return { kind: "waiting", reason: error.message, next: error.hint ?? "" };
    }
    throw error;
  }
}
