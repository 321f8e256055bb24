// The failure path of an attempt: its classification (by its agent's stream, else by its exit and
// output), then the recovery recipe of its class; and, after a crash or a held recipe, the same
// finished from the log. Each step is decided by the machines and durable before its effect.
import { open } from "node:fs/promises";
import type { AgentReport, PlanTask, TaskId } from "../../../events/index.js";
import type { RunState } from "../../../machines/fold/run.js";
import { heldRecovery } from "../../../projections/status.js";
import { lastLines, recordedFailure, type Failure } from "../failure/failure-output.js";
import { classifyStream } from "../../agents/classify-stream.js";
import { resolveAgent } from "../../agents/resolve.js";
import { classify, retryAfterMs } from "../failure/classify.js";
import { now } from "../clock.js";
import type { RunResult } from "../process/process-runner.js";
import type { RunContext } from "./run-context.js";

/** Why an attempt failed, as its classification needs it. */
/** What remains of a scheduled retry's wait (0: due now; a human's retry has no due time). */
export function retryWaitMs(state: RunState, id: TaskId): number {
  const due = state.tasks.get(id)?.context.due_at ?? null;
  return due === null ? 0 : Math.max(0, Date.parse(due) - Date.now());
}

/** How an attempt that failed is classified and recovered from (Attempts hands its failures here). */
export class AttemptFailures {
  constructor(private readonly run: RunContext) {}

  private attemptOf(task: PlanTask): number {
    return this.run.state.tasks.get(task.id)!.context.attempt;
  }

  /** Whether the attempt under way resumes the task after an interruption (the machine knows). */
  private resumed(task: PlanTask): boolean {
    return this.run.state.tasks.get(task.id)?.context.resumed ?? false;
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
      const result = data && { exit_code: data.exit_code, signal: data.signal, timed_out: data.timed_out, aborted: false, duration_ms: data.duration_ms, tail: "" };
      const command = task.agent === undefined ? task.run : resolveAgent(this.run.state.plan_spec, task, this.run.options)?.command;
      await this.failed(task, attempt, result, await recordedFailure(this.run.processOptions(task, attempt), data, command), data?.agent);
      return;
    }
    const classified = log.findLast((e) => e.type === "FAILURE_CLASSIFIED" && e.data.task_id === task.id);
    const evidence = classified?.type === "FAILURE_CLASSIFIED" ? `${classified.data.rule}: ${classified.data.evidence}` : "classified before a crash";
    // A server's Retry-After is in the attempt's output, which its log file keeps.
    const output = await outputTail(this.run.processOptions(task, attempt).logFile);
    await this.recover(task, evidence, retryAfterMs(output));
  }

  /** Classifies a failed attempt, then follows the recovery policy of its class. */
  async failed(task: PlanTask, attempt: number, result: RunResult | undefined, failure: Failure, agent?: AgentReport): Promise<void> {
    // An isolated attempt's work is archived and its worktree removed before it is classified.
    await this.run.isolation.settle(task);
    // A check stopped by a limit failed as a timeout, like a command (not as a failed assertion).
    const timed_out = failure.timed_out ?? result?.timed_out ?? false;
    // What an agent's stream said decides before its exit code and output do.
    // A rate limit's reset is counted from the moment the recovery is recorded: its retry is due then.
    const at = now();
    const byStream = failure.stage === "run" ? classifyStream(agent, Date.parse(at)) : undefined;
    const found = byStream ?? classify(
      { exit_code: result?.exit_code ?? null, signal: result?.signal ?? null, ...failure, timed_out },
      [...(this.run.state.plan_spec?.classify ?? []), ...(task.classify ?? [])],
      this.run.confinementOf?.(task, attempt),
    );
    const rate_limit = byStream?.rate_limit;
    await this.run.command({ type: "ClassifyFailure", at, task_id: task.id, attempt, class: found.class, rule: found.rule, evidence: found.evidence, ...(rate_limit ? { rate_limit } : {}) });
    const what =
      timed_out ? "timed out"
      : failure.stage === "verify" ? "acceptance test failed"
      : failure.stage === "merge" ? `merge conflict in ${failure.conflicts?.join(", ") || "?"}`
      : failure.spawn_error ? `did not start: ${failure.spawn_error.message}`
      : agent?.stop && failure.stage === "run" ? `${agent.cli}: ${agent.stop.kind.replace("_", " ")}`
      : result?.idled ? "no output (idle_timeout)"
      : `exit ${result?.exit_code ?? result?.signal ?? "?"}`;
    this.run.options.progress({
      kind: "task", ...this.run.numbered(task), task: task.id, ok: false, seconds: (result?.duration_ms ?? 0) / 1000, detail: `${what} (${found.class})`, retry: attempt > 1,
      output: lastLines(failure.output), log: this.run.processOptions(task, attempt).logFile, resumed: this.resumed(task),
    });
    // The grant a sandboxed attempt lacked goes to the human who is asked (PERMISSION_REQUIRED).
    const hint = "hint" in found ? found.hint : undefined;
    if (hint) this.run.note(`${task.id}: ${hint}`);
    const evidence = `${found.rule}: ${found.evidence}`;
    // The recipe keeps 400 characters: the evidence is cut, never the hint.
    await this.recover(
      task,
      hint ? `${evidence.slice(0, Math.max(80, 398 - hint.length))}; ${hint}` : evidence,
      byStream ? byStream.retry_after_ms : retryAfterMs(failure.output),
      at,
    );
  }

  /**
   * The recipe for the task's classified failure, as the decider and the task's budget decide:
   * a retry after a wait (recorded with its due time), or a human's decision (nothing new is
   * scheduled meanwhile), or the policy's own skip or abort.
   */
  private async recover(task: PlanTask, evidence: string, retry_after_ms: number | undefined, at = now()): Promise<void> {
    await this.run.command({
      type: "Recover",
      at,
      task_id: task.id,
      evidence: evidence.slice(0, 400),
      jitter: Math.random(),
      ...(retry_after_ms === undefined ? {} : { retry_after_ms }),
    });
    const context = this.run.state.tasks.get(task.id)!.context;
    const state = this.run.taskState(task.id);
    if (state === "retry_scheduled" && context.due_at) {
      const wait = retryWaitMs(this.run.state, task.id) / 1000;
      const which = context.rate_limit !== null && context.rate_limit_retries > 1
        ? `retry ${context.rate_limit_retries} after a rate limit (counted once against the ${context.failure_class} budget)`
        : `automatic retry ${context.retries} of ${context.failure_class ? context.budget[context.failure_class] : "?"}`;
      this.run.note(`${task.id}: ${context.failure_class} failure${context.rate_limit ? " (rate limit)" : ""}, ${which} in ${wait.toFixed(1)}s`);
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
