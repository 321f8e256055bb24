// One attempt of a task, step by step: its start (and trust, when a root covers it), its command
// or agent, its acceptance tests, and, when it fails, its classification and the recovery recipe
// of its class. Each step is decided by the machines and durable before its effect starts.
import { open } from "node:fs/promises";
import { workerIdFor, type PlanTask, type TaskId, type WorkerId } from "../../../events/index.js";
import type { RunState } from "../../../machines/fold/run.js";
import { NOTHING_SPENT, budgetWords } from "../../../machines/run-budget.js";
import { heldRecovery } from "../../../projections/status.js";
import { promptOf } from "./attempt-support.js";
import { lastLines, recordedFailure, type Failure } from "../failure/failure-output.js";
import { classifyStream } from "../../agents/classify-stream.js";
import { resolveAgent } from "../../agents/resolve.js";
import { AgentStream } from "../../agents/stream.js";
import type { AgentReport, Budget } from "../../../events/index.js";
import { classify, retryAfterMs } from "../failure/classify.js";
import { now } from "../clock.js";
import { runCommand, type RunResult } from "../process/process-runner.js";
import type { RunContext } from "./run-context.js";
import { refusedOutOfScope, startInScope } from "./scope-guard.js";
import { AttemptLimits, taskProcess } from "../process/task-process.js";
import { placeEnv } from "../../workspace/place.js";
import { makeScopeDir, missingScopeDir } from "../../workspace/scope-dir.js";
import type { CommandKind } from "../../workspace/grants.js";
import { commandKindOf } from "../../workspace/run-sandbox.js";

/** Why an attempt failed, as its classification needs it. */
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

  private get workspace(): string {
    return this.run.state.workspace ?? process.cwd();
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
    // An interrupted isolated attempt's worktree is archived first: the next one starts clean.
    await this.run.isolation.settle(task);
    // Its scope is resolved again: one that leads out of the workspace now fails it here.
    const cwd = await startInScope(this.run, task);
    if (cwd === undefined) return;
    const created = await this.run.sandbox.prepare(task, this.run.state.plan.context.granted);
    if (created !== undefined) this.run.note(`${task.id}: created ${created} (empty): the sandbox can let a task write only a file that exists`);
    const root = this.run.trustedRoot(task);
    const attempt = this.attemptOf(task) + 1;
    const worker_id = workerIdFor(task.id, attempt);
    const start = this.run.command({ type: "StartAttempt", at: now(), task_id: task.id, cwd });
    // A run with a budget: the machines may stop the attempt instead (RUN_BUDGET_SPENT), so its
    // trust and running state are decided only once it has started.
    if (this.run.state.plan_spec?.budget && (await this.stoppedByBudget(task, start))) return;
    const decided = [start];
    const made = root ? missingScopeDir(this.workspace, task) : undefined;
    if (root) {
      decided.push(this.run.command({ type: "ResolveTrust", at: now(), worker_id, resolution: { source: "allowlist", root } }));
      decided.push(this.run.command({ type: "MarkWorkerRunning", at: now(), worker_id, sandbox: this.run.sandbox.profile(task, this.run.state.plan.context.granted, undefined, this.run.isolation.workspaceRoot(task, attempt)), ...(made === undefined ? {} : { made }) }));
    }
    await Promise.all(decided);
    this.run.options.progress({ kind: "started", ...this.run.numbered(task), task: task.id, attempt });
    if (root) await this.work(task, { running: true, made });
  }

  /** Whether the start was a RUN_BUDGET_SPENT: then the task waits for a human, and says why. */
  private async stoppedByBudget(task: PlanTask, start: Promise<void>): Promise<boolean> {
    await start;
    if (this.run.taskState(task.id) !== "awaiting_decision") return false;
    const { budget, spent } = this.run.state.plan.context;
    const words = budget ? budgetWords(budget, spent ?? NOTHING_SPENT) : "spent";
    this.run.options.progress({ kind: "task", ...this.run.numbered(task), task: task.id, ok: false, seconds: 0, detail: `not started: the run's budget is spent (${words})`, retry: this.attemptOf(task) > 0 });
    this.run.note(`${task.id}: not started, the run's budget is spent (${words}); raise the plan's budget (peh modify --from FILE --confirm-change), then peh decide --task ${task.id} retry (or skip|abort)`);
    return true;
  }

  async trustAndRun(task: PlanTask): Promise<void> {
    const worker_id = workerIdFor(task.id, this.attemptOf(task));
    await this.run.command({ type: "ResolveTrust", at: now(), worker_id, resolution: { source: "allowlist", root: this.run.trustedRoot(task)! } });
    await this.work(task);
  }

  /**
   * One process of the attempt, with the task's shell and environment, its group journaled (so
   * that a crash does not orphan it) from before it runs anything until it has ended.
   */
  private async process(
    task: PlanTask,
    attempt: number,
    { kind, ...spec }: { kind: CommandKind; command: string; timeoutMs: number | undefined; stdin?: string; idleTimeoutMs?: number; lines?: (line: string, stop: () => void) => string },
  ): Promise<RunResult> {
    const worker_id: WorkerId = workerIdFor(task.id, attempt);
    const common = this.run.processOptions(task, attempt);
    // The profile WORKER_RUNNING recorded for the attempt (the same inputs give the same one after a crash).
    const wrap = this.run.sandbox.wrapper(this.run.sandbox.profile(task, this.run.state.plan.context.granted, kind, this.run.isolation.workspaceRoot(task, attempt)));
    const own = taskProcess(this.run.state.plan_spec, task, common);
    const place = placeEnv({ workspace: this.workspace, run_id: this.run.options.runId, task, attempt });
    let pid: number | undefined;
    const result = await runCommand({
      ...common,
      ...own,
      // Through the same frame as the task's own variables (the launcher's per-process env).
      extraEnv: own.extraEnv === undefined ? place : { ...own.extraEnv, ...place },
      ...spec,
      ...(wrap === undefined ? {} : { wrap }),
      // Written by the starter: the launcher's child before it execs, at no cost to this thread.
      journal: { file: this.run.pids.journal, entry: worker_id },
      onSpawn: (started: number) => (pid = started),
    });
    if (pid !== undefined) void this.run.pids.ended(worker_id, pid);
    return result;
  }

  /**
   * The worker is ready for its prompt: run the command (or agent), then the acceptance tests.
   * `running`: its WORKER_RUNNING is in the log already (with `made`, the scope directory to make).
   */
  async work(task: PlanTask, { running = false, made }: { running?: boolean; made?: string | undefined } = {}): Promise<void> {
    const attempt = this.attemptOf(task);
    const worker_id: WorkerId = workerIdFor(task.id, attempt);
    const agent = resolveAgent(this.run.state.plan_spec, task, this.run.options);
    const command = agent ? agent.command : task.run;
    // An agent CLI's stream is read line by line: readable lines to the log, a report to the events.
    const stream = agent && agent.adapter.cli !== "generic" ? new AgentStream(agent.adapter, this.budgetOf(agent.budget)) : undefined;
    // After a wait for trust, a link may have been re-pointed: its scope is checked once more.
    if (!running && (await refusedOutOfScope(this.run, task))) return;
    if (!running) {
      made = missingScopeDir(this.workspace, task);
      await this.run.command({ type: "MarkWorkerRunning", at: now(), worker_id, sandbox: this.run.sandbox.profile(task, this.run.state.plan.context.granted, undefined, this.run.isolation.workspaceRoot(task, attempt)), ...(made === undefined ? {} : { made }) });
    }
    await this.run.isolation.prepare(task);
    // Recorded first, made then: a crash between the two leaves a directory still to make, which
    // the next attempt makes (and records) again.
    const unmade = made === undefined ? undefined : await makeScopeDir(this.workspace, made);
    if (made !== undefined && unmade === undefined) this.run.note(`${task.id}: made its scope directory ${made} (it did not exist)`);
    const limits = new AttemptLimits(task);
    const { ms, limit } = limits.next();
    const result = command && !unmade
      ? await this.process(task, attempt, {
          kind: commandKindOf(task),
          command,
          timeoutMs: ms,
          // An agent task's prompt goes to its command's stdin: the configured agent command, or
          // the task's own `run` when it has both.
          ...(task.agent === undefined ? {} : { stdin: promptOf(task) }),
          ...(agent?.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: agent.idleTimeoutMs }),
          ...(stream
            ? {
                lines: (line: string, stop: () => void) => {
                  const seen = stream.line(line);
                  if (seen.stop) stop();
                  return seen.text;
                },
              }
            : {}),
        })
      : undefined;
    if (result?.aborted) {
      await this.interruptedByDrain(task);
      return;
    }
    if (result?.idled && agent?.idleTimeoutMs !== undefined) stream?.stopped({ kind: "idle", detail: `no output for ${agent.idleTimeoutMs / 1000}s (idle_timeout)` });
    const report: AgentReport | undefined = stream && result && !result.spawn_error ? stream.finish(result.exit_code, this.run.processOptions(task, attempt).redact) : undefined;
    const idle = result?.idled && !stream ? { code: "IDLE_TIMEOUT", message: `the command printed nothing for ${(agent?.idleTimeoutMs ?? 0) / 1000}s (idle_timeout)` } : undefined;
    const timeout = result?.timed_out ? { code: "TIMEOUT", message: limits.exceeded(limit, "the command") } : idle;
    const notStarted =
      unmade ?? (result === undefined ? { code: "NO_AGENT", message: "an agent task needs an agent command: set agent.command in the config or --agent-command" } : result.spawn_error);
    const error = notStarted ?? timeout;
    await this.run.command({
      type: "RecordExit",
      at: now(),
      task_id: task.id,
      attempt,
      exit_code: result?.exit_code ?? null,
      signal: result?.signal ?? null,
      timed_out: result?.timed_out ?? false,
      duration_ms: result?.duration_ms ?? 0,
      ...(error ? { error } : {}),
      ...(report ? { agent: report } : {}),
    });
    if (result === undefined || this.run.taskState(task.id) !== "verifying") {
      await this.failed(task, attempt, result, { stage: "run", output: result?.tail ?? "", ...(notStarted ? { spawn_error: notStarted } : {}), ...(timeout ? { limit: timeout.message } : {}), ...(idle ? { timed_out: true } : {}) }, report);
      return;
    }
    await this.verify(task, result, limits);
  }

  /**
   * What this attempt may spend: its task's budget, within what is left of the run's (the plan's
   * `budget`, less what the run's agents have reported so far).
   */
  private budgetOf(task: Budget): Budget {
    const run = this.run.state.plan_spec?.budget;
    if (!run) return task;
    // What the run's agents have spent, as the plan machine has added it up.
    const spent = this.run.state.plan.context.spent ?? NOTHING_SPENT;
    const left = (limit: number | undefined, used: number) => (limit === undefined ? undefined : Math.max(0, limit - used));
    const usd = left(run.usd, spent.usd);
    const turns = left(run.turns, spent.turns);
    const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
    const budget: Budget = {};
    const u = min(task.usd, usd);
    const t = min(task.turns, turns);
    if (u !== undefined) budget.usd = u;
    if (t !== undefined) budget.turns = t;
    return budget;
  }

  /**
   * Runs the acceptance tests of the current attempt (again, after a crash: then with the whole
   * task_timeout) and records them.
   */
  async verify(task: PlanTask, result: RunResult | undefined, limits = new AttemptLimits(task)): Promise<void> {
    const attempt = this.attemptOf(task);
    const checked = await this.checks(task, attempt, limits);
    if (checked === "drained") return;
    const { evidence, failure } = checked;
    const timeout = failure?.timed_out ? { timed_out: true, error: { code: "TIMEOUT", message: failure.limit! } } : {};
    // An isolated attempt whose checks passed gets its commit now; its verification carries it.
    const commit = failure ? undefined : await this.run.isolation.commit(task);
    await this.run.command({ type: "RecordVerification", at: now(), task_id: task.id, attempt, evidence, duration_ms: result?.duration_ms ?? 0, ...timeout, ...(commit ? { commit } : {}) });
    if (failure) {
      await this.failed(task, attempt, result, failure);
      return;
    }
    if (commit) {
      await this.merge(task, result);
      return;
    }
    this.run.options.progress({ kind: "task", ...this.run.numbered(task), task: task.id, ok: true, seconds: (result?.duration_ms ?? 0) / 1000, retry: attempt > 1, resumed: this.resumed(task) });
  }

  /**
   * The task's commit through the merge queue onto the run's branch (isolation: worktree); a
   * conflict, or a check failing again on the rebased tree, fails the attempt like any failure.
   */
  async merge(task: PlanTask, result?: RunResult): Promise<void> {
    const attempt = this.attemptOf(task);
    let failure: Failure | undefined;
    const end = await this.run.isolation.merge(task, async () => {
      const checked = await this.checks(task, attempt, new AttemptLimits(task));
      if (checked === "drained") return [{ command: "(drained)", exit_code: null, duration_ms: 0 }];
      failure = checked.failure;
      return checked.evidence;
    });
    if (!end.merged && this.run.taskState(task.id) === "classifying") {
      await this.failed(task, attempt, result, end.conflicts ? { stage: "merge", output: "", conflicts: end.conflicts } : (failure ?? { stage: "verify", output: "" }));
      return;
    }
    if (end.merged) this.run.options.progress({ kind: "task", ...this.run.numbered(task), task: task.id, ok: true, seconds: (result?.duration_ms ?? 0) / 1000, retry: attempt > 1, resumed: this.resumed(task) });
  }

  /** The acceptance tests of the attempt, in order, up to the first that fails. */
  private async checks(task: PlanTask, attempt: number, limits: AttemptLimits): Promise<{ evidence: { command: string; exit_code: number | null; duration_ms: number }[]; failure: Failure | undefined } | "drained"> {
    const evidence = [];
    let failure: Failure | undefined;
    for (const check of task.acceptance_tests) {
      if (limits.spent) {
        // Nothing starts once the attempt's time is up: the check counts as not passed.
        evidence.push({ command: check, exit_code: null, duration_ms: 0 });
        failure = { stage: "verify", output: "", timed_out: true, limit: limits.spentBefore(`the acceptance test \`${check}\``) };
        break;
      }
      const { ms, limit } = limits.next();
      const outcome = await this.process(task, attempt, { kind: "acceptance_test", command: check, timeoutMs: ms });
      if (outcome.aborted) {
        await this.interruptedByDrain(task);
        return "drained";
      }
      evidence.push({ command: check, exit_code: outcome.exit_code, duration_ms: outcome.duration_ms });
      if (outcome.exit_code !== 0) {
        failure = { stage: "verify", output: outcome.tail, ...(outcome.timed_out ? { timed_out: true, limit: limits.exceeded(limit, `the acceptance test \`${check}\``) } : {}) };
        break;
      }
    }
    return { evidence, failure };
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
  private async failed(task: PlanTask, attempt: number, result: RunResult | undefined, failure: Failure, agent?: AgentReport): Promise<void> {
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
