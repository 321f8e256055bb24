// One attempt of a task, step by step: its start (and trust, when a root covers it), its command
// or agent, its acceptance tests, and, when it fails, its classification and the recovery recipe
// of its class. Each step is decided by the machines and durable before its effect starts.
import { open } from "node:fs/promises";
import { workerIdFor, type PlanTask, type TaskId, type WorkerId } from "../../events/index.js";
import type { RunState } from "../../machines/run.js";
import { heldRecovery } from "../../projections/status.js";
import { durationMs, promptOf } from "./attempt-support.js";
import { classify, retryAfterMs } from "./classify.js";
import { now } from "./clock.js";
import { runCommand, type RunResult } from "./process-runner.js";
import type { RunContext } from "./run-context.js";

/** What remains of a scheduled retry's wait (0: due now; a human's retry has no due time). */
export function retryWaitMs(state: RunState, id: TaskId): number {
  const due = state.tasks.get(id)?.context.due_at ?? null;
  return due === null ? 0 : Math.max(0, Date.parse(due) - Date.now());
}

export class Attempts {
  constructor(private readonly run: RunContext) {}

  private attemptOf(task: PlanTask): number {
    return this.run.state.tasks.get(task.id)!.context.attempt;
  }

  /** Whether the attempt under way resumes the task after an interruption (the machine knows). */
  private resumed(task: PlanTask): boolean {
    return this.run.state.tasks.get(task.id)?.context.resumed ?? false;
  }

  /** Its process was stopped: peh run was drained (SIGINT, SIGTERM), or a human cancelled the run. */
  private interruptedByDrain(task: PlanTask): Promise<void> {
    const reason = this.run.state.plan.context.cancelled ? "the run was cancelled" : "drained: peh run was stopped";
    return this.run.command({ type: "InterruptTask", at: now(), task_id: task.id, reason });
  }

  /**
   * A new attempt. Its start, its trust (when a root covers it) and its worker's running state
   * are decided in order in one batch, one durable append, before the process is spawned.
   */
  async start(task: PlanTask): Promise<void> {
    const root = this.run.trustedRoot(task);
    const attempt = this.attemptOf(task) + 1;
    const worker_id = workerIdFor(task.id, attempt);
    const decided = [this.run.command({ type: "StartAttempt", at: now(), task_id: task.id, cwd: this.run.cwdOf(task) })];
    if (root) {
      decided.push(this.run.command({ type: "ResolveTrust", at: now(), worker_id, resolution: { source: "allowlist", root } }));
      decided.push(this.run.command({ type: "MarkWorkerRunning", at: now(), worker_id }));
    }
    await Promise.all(decided);
    this.run.options.progress({ kind: "started", ...this.run.numbered(task), task: task.id, attempt });
    if (root) await this.work(task, true);
  }

  async trustAndRun(task: PlanTask): Promise<void> {
    const worker_id = workerIdFor(task.id, this.attemptOf(task));
    await this.run.command({ type: "ResolveTrust", at: now(), worker_id, resolution: { source: "allowlist", root: this.run.trustedRoot(task)! } });
    await this.work(task);
  }

  /** The worker is ready for its prompt: run the command (or agent), then the acceptance tests. */
  async work(task: PlanTask, running = false): Promise<void> {
    const attempt = this.attemptOf(task);
    const worker_id: WorkerId = workerIdFor(task.id, attempt);
    const command = task.run ?? this.run.options.agentCommand;
    if (!running) await this.run.command({ type: "MarkWorkerRunning", at: now(), worker_id });
    const result = command
      ? await runCommand({
          ...this.run.processOptions(task, attempt),
          command,
          timeoutMs: durationMs(task.timeout),
          // An agent task's prompt goes to its command's stdin: the configured agent command, or
          // the task's own `run` when it has both.
          ...(task.agent === undefined ? {} : { stdin: promptOf(task) }),
          // Asynchronous: a synchronous write here cost ~0.6 ms of the main thread per process.
          onSpawn: (pid: number) => void this.run.pids.record(worker_id, pid).catch(() => undefined),
        })
      : undefined;
    if (result?.aborted) {
      await this.interruptedByDrain(task);
      return;
    }
    const error = result === undefined ? { code: "NO_AGENT", message: "an agent task needs an agent command: set agent.command in the config or --agent-command" } : result.spawn_error;
    await this.run.command({
      type: "RecordExit",
      at: now(),
      task_id: task.id,
      exit_code: result?.exit_code ?? null,
      signal: result?.signal ?? null,
      timed_out: result?.timed_out ?? false,
      duration_ms: result?.duration_ms ?? 0,
      ...(error ? { error } : {}),
    });
    if (result === undefined || this.run.taskState(task.id) !== "verifying") {
      await this.failed(task, attempt, result, { stage: "run", output: result?.tail ?? error?.message ?? "" });
      return;
    }
    await this.verify(task, result);
  }

  /** Runs the acceptance tests of the current attempt (again, after a crash) and records them. */
  async verify(task: PlanTask, result: RunResult | undefined): Promise<void> {
    const attempt = this.attemptOf(task);
    const common = this.run.processOptions(task, attempt);
    const evidence = [];
    let failure: { stage: "verify"; output: string } | undefined;
    for (const check of task.acceptance_tests) {
      const outcome = await runCommand({ ...common, command: check, timeoutMs: durationMs(task.timeout) });
      if (outcome.aborted) {
        await this.interruptedByDrain(task);
        return;
      }
      evidence.push({ command: check, exit_code: outcome.exit_code, duration_ms: outcome.duration_ms });
      if (outcome.exit_code !== 0) {
        failure = { stage: "verify", output: outcome.tail };
        break;
      }
    }
    await this.run.command({ type: "RecordVerification", at: now(), task_id: task.id, evidence, duration_ms: result?.duration_ms ?? 0 });
    if (failure) {
      await this.failed(task, attempt, result, failure);
      return;
    }
    this.run.options.progress({ kind: "task", ...this.run.numbered(task), task: task.id, ok: true, seconds: (result?.duration_ms ?? 0) / 1000, retry: attempt > 1, resumed: this.resumed(task) });
  }

  /**
   * A failure recorded but not recovered from: a crash came between the failure and its recipe,
   * or the recipe was held while the plan waited for a human. Finish the job from the log.
   */
  async resumeFailure(task: PlanTask): Promise<void> {
    const attempt = this.attemptOf(task);
    const { store, runId } = this.run.options;
    const log = await store.read(runId);
    if (this.run.taskState(task.id) === "classifying") {
      const failed = log.findLast((e) => e.type === "TASK_FAILED" && e.data.task_id === task.id);
      const data = failed?.type === "TASK_FAILED" ? failed.data : undefined;
      const result = data && { exit_code: data.exit_code, signal: data.signal, timed_out: data.timed_out, aborted: false, duration_ms: data.duration_ms, tail: data.error.message };
      await this.failed(task, attempt, result, { stage: data?.stage ?? "run", output: data?.error.message ?? "" });
      return;
    }
    const classified = log.findLast((e) => e.type === "FAILURE_CLASSIFIED" && e.data.task_id === task.id);
    const evidence = classified?.type === "FAILURE_CLASSIFIED" ? `${classified.data.rule}: ${classified.data.evidence}` : "classified before a crash";
    // A server's Retry-After is in the attempt's output, which its log file keeps.
    const output = await outputTail(this.run.processOptions(task, attempt).logFile);
    await this.recover(task, evidence, retryAfterMs(output));
  }

  /** Classifies a failed attempt, then follows the recovery policy of its class. */
  private async failed(task: PlanTask, attempt: number, result: RunResult | undefined, failure: { stage: "run" | "verify"; output: string }): Promise<void> {
    const found = classify(
      { exit_code: result?.exit_code ?? null, signal: result?.signal ?? null, timed_out: result?.timed_out ?? false, stage: failure.stage, output: failure.output },
      [...(this.run.state.plan_spec?.classify ?? []), ...(task.classify ?? [])],
    );
    await this.run.command({ type: "ClassifyFailure", at: now(), task_id: task.id, class: found.class, rule: found.rule, evidence: found.evidence });
    const what =
      failure.stage === "verify" ? "acceptance test failed"
      : result?.timed_out ? "timed out"
      : result?.spawn_error ? `did not start: ${result.spawn_error.message}`
      : `exit ${result?.exit_code ?? result?.signal ?? "?"}`;
    this.run.options.progress({ kind: "task", ...this.run.numbered(task), task: task.id, ok: false, seconds: (result?.duration_ms ?? 0) / 1000, detail: `${what} (${found.class})`, retry: attempt > 1, resumed: this.resumed(task) });
    await this.recover(task, `${found.rule}: ${found.evidence}`, retryAfterMs(failure.output));
  }

  /**
   * The recipe for the task's classified failure, as the decider and the task's budget decide:
   * a retry after a wait (recorded with its due time), or a human's decision (nothing new is
   * scheduled meanwhile), or the policy's own skip or abort.
   */
  private async recover(task: PlanTask, evidence: string, retry_after_ms: number | undefined): Promise<void> {
    await this.run.command({
      type: "Recover",
      at: now(),
      task_id: task.id,
      evidence: evidence.slice(0, 400),
      jitter: Math.random(),
      ...(retry_after_ms === undefined ? {} : { retry_after_ms }),
    });
    const context = this.run.state.tasks.get(task.id)!.context;
    const state = this.run.taskState(task.id);
    if (state === "retry_scheduled" && context.due_at) {
      const wait = retryWaitMs(this.run.state, task.id) / 1000;
      this.run.note(`${task.id}: ${context.failure_class} failure, automatic retry ${context.retries} of ${context.failure_class ? context.budget[context.failure_class] : "?"} in ${wait.toFixed(1)}s`);
    } else if (state === "classified") {
      this.run.note(`${task.id}: ${context.failure_class} failure; ${heldRecovery(this.run.state)}`);
    }
  }
}

/** The last few kilobytes of an attempt's output (empty if it has none). */
async function outputTail(file: string, bytes = 8_000): Promise<string> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return "";
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(size, bytes));
    await handle.read(buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}
