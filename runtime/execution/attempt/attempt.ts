// One attempt of a task, step by step: its start (and trust, when a root covers it), its command
// or agent, its acceptance tests, and, when it fails, its classification and the recovery recipe
// of its class (attempt-failure.ts). Each step is decided by the machines and durable before its
// effect starts.
import { workerIdFor, type PlanTask, type WorkerId } from "../../../events/index.js";
import { NOTHING_SPENT, budgetWords } from "../../../machines/run-budget.js";
import { promptOf } from "./attempt-support.js";
import type { Failure } from "../failure/failure-output.js";
import { resolveAgent } from "../../agents/resolve.js";
import { AgentStream } from "../../agents/stream.js";
import type { AgentReport, Budget } from "../../../events/index.js";
import { now } from "../clock.js";
import type { RunResult } from "../process/process-runner.js";
import type { RunContext } from "./run-context.js";
import { refusedOutOfScope, startInScope } from "./scope-guard.js";
import { AttemptLimits } from "../process/task-process.js";
import { makeScopeDir, missingScopeDir } from "../../workspace/scope-dir.js";
import { commandKindOf } from "../../workspace/run-sandbox.js";
import { attemptProcess } from "./attempt-process.js";
import { AttemptFailures } from "./attempt-failure.js";

export { retryWaitMs } from "./attempt-failure.js";

export class Attempts {
  /** Its classification and recovery, when an attempt fails. */
  private readonly failures: AttemptFailures;

  constructor(private readonly run: RunContext) {
    this.failures = new AttemptFailures(run);
  }

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
      ? await attemptProcess(this.run, task, attempt, {
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
      await this.failures.failed(task, attempt, result, { stage: "run", output: result?.tail ?? "", ...(notStarted ? { spawn_error: notStarted } : {}), ...(timeout ? { limit: timeout.message } : {}), ...(idle ? { timed_out: true } : {}) }, report);
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
      await this.failures.failed(task, attempt, result, failure);
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
      await this.failures.failed(task, attempt, result, end.conflicts ? { stage: "merge", output: "", conflicts: end.conflicts } : (failure ?? { stage: "verify", output: "" }));
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
      const outcome = await attemptProcess(this.run, task, attempt, { kind: "acceptance_test", command: check, timeoutMs: ms });
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

  /** A failure recorded but not recovered from, finished from the log (attempt-failure.ts). */
  resumeFailure(task: PlanTask): Promise<void> {
    return this.failures.resumeFailure(task);
  }
}
