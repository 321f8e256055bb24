// Executes an approved run: bootstrap, then every task through its worker, dependencies first,
// independent tasks in parallel up to `concurrency`. Every state change is decided by the
// machines and appended durably before its effect starts (the event that a worker runs is in
// the log before its process is spawned). Stops scheduling on the first unrecovered failure
// and waits for a human. Resumes a crashed run from its log.
import { setMaxListeners } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  PehError,
  isPehError,
  workerIdFor,
  type PlanTask,
  type TaskId,
} from "../../events/index.js";
import type { CommandInput } from "../../machines/decider/commands.js";
import { mayHandle } from "../../machines/memo/lite.js";
import { planMachine } from "../../machines/plan.js";
import { stateName } from "../../machines/fold/state-name.js";
import { awaitedOf } from "../../projections/status.js";
import { bootstrapRun, type BootstrapContext } from "./bootstrap-phases.js";
import { delay } from "./delay.js";
import { GroupCommit } from "./group-commit.js";
import { requireApproved } from "../gate/gate.js";
import { Attempts, retryWaitMs } from "./attempt/attempt.js";
import { PidRecords } from "./attempt/attempt-support.js";
import { workingDirOf } from "../workspace/place.js";
import { attemptLogPath } from "./attempt/attempt-log.js";
import { agentProblems, requireAgentCommands } from "./attempt/agent-check.js";
import { interruptCaught, settleForCancel } from "./attempt/leftovers.js";
import { PlanIndex } from "./plan-index.js";
import { slotsLeft } from "../../machines/claims.js";
import { bootstrapShared } from "./shared-bootstrap.js";
import { placeOf } from "../store/place.js";
import { OutputMirror } from "./process/output-mirror.js";
import { Launcher } from "./process/launcher.js";
import type { ProcessStarter } from "./process/process-runner.js";
import { RunSandbox } from "../workspace/run-sandbox.js";
import type { Confinement } from "./failure/classify.js";
import { redactorFor, type Redactor } from "./process/redact.js";
import { placeOfAttempt } from "./attempt/scope-guard.js";
import { configPath, denialOf, trustPolicy, trustedRootFor, type TrustPolicy } from "./trust/trust.js";
import { now } from "./clock.js";
import { leaveCheckpoint } from "../view-state.js";
import type { ExecuteOptions, Outcome, ProcessOptions, RunContext, Waiting } from "./attempt/run-context.js";
import { IsolatedWork } from "../workspace/isolated-work.js";
import { resolveAgent } from "../agents/resolve.js";

export type { ExecuteOptions, Outcome, ProgressLine, Waiting } from "./attempt/run-context.js";

export class Orchestrator implements RunContext {
  private run!: GroupCommit;
  private readonly index = new PlanIndex();
  private readonly active = new Map<TaskId, Promise<void>>();
  /** The log's re-reads the scheduler has looked at (many workers). */
  private readsSeen = -1;
  private policy!: TrustPolicy;
  /**
   * The environment every process of the run gets, taken once: the redactor knows exactly the
   * secrets in it, and spawning from a plain object is cheaper than from process.env.
   */
  private readonly env: NodeJS.ProcessEnv = { ...process.env };
  private readonly redact: Redactor = redactorFor(this.env);
  /** Starts the run's processes, far cheaper than Node's own spawn (see launcher.ts). */
  private readonly launcher = new Launcher(this.env);
  private readonly drain = new AbortController();
  /** Stops the attempts' processes: on a drain, or when a human cancels the run. */
  private readonly halt = new AbortController();
  /** The process group of every attempt's process, for killing it after a crash. */
  readonly pids: PidRecords;
  /** The run's sandbox, probed when it starts executing. */
  sandbox!: RunSandbox;

  /** The steps of one attempt, each decided and durable before its effect. */
  private readonly attempts = new Attempts(this);
  /** Isolated work (DESIGN §11): the run's branch, worktrees, commits, the merge queue. */
  readonly isolation = new IsolatedWork(this);

  constructor(readonly options: ExecuteOptions) {
    // Every running process and every wait listens for the drain, each until it ends: with more
    // than ten at once Node would warn of a leak (on the user's terminal) where there is none.
    setMaxListeners(0, this.drain.signal, this.halt.signal);
    options.signal?.addEventListener("abort", () => this.drain.abort(), { once: true });
    this.drain.signal.addEventListener("abort", () => this.halt.abort(), { once: true });
    this.pids = new PidRecords(this.attemptsDir);
  }

  async execute(): Promise<Outcome> {
    const { store, runId } = this.options;
    this.run = await GroupCommit.open(store, runId);
    if (this.run.state.run_id === null) throw new PehError("RUN_NOT_FOUND", `there is no run "${runId}"`);
    requireApproved(runId, this.run.state);
    const finished = this.finalOutcome();
    if (finished) return finished;
    // Every agent task that may still run can start: otherwise nothing starts (exit 2). A run
    // being aborted starts no attempt any more.
    const unsettled = this.tasks().filter((task) => this.state.tasks.get(task.id)?.status !== "done");
    if (this.planState() !== "aborting") requireAgentCommands(runId, agentProblems(unsettled, this.options.agentCommand, this.env, (task) => this.cwdOf(task), (task) => resolveAgent(this.state.plan_spec, task, this.options)?.command));
    // Probed once per run, before anything is recorded: `required` where it does not work stops here (exit 2).
    // A run being aborted starts no attempt: nothing to sandbox, nothing to refuse.
    const mode = this.planState() === "aborting" ? "off" : (this.options.sandbox ?? "auto");
    this.sandbox = await RunSandbox.open(mode, { workspace: this.workspace, storeDir: placeOf(store).where, env: this.env, agentGrants: this.options.agentGrants });
    // Many workers hold claims of tasks, not the run; one `peh run` holds the run.
    const claims = this.options.claims;
    const lease = claims ? { release: () => claims.close() } : await placeOf(store).leases.acquire(runId);
    if (lease.tookOverFrom) this.note(`took over the run from a peh that died (pid ${lease.tookOverFrom})`);
    // Humans act on the run meanwhile, from other terminals: their events are followed.
    const watching = new AbortController();
    // Should following fail, another writer's events still surface as a conflict on the next append.
    const watched = this.run.watch(watching.signal).catch((error: unknown) => this.note(`stopped following the run's log: ${String(error)}`));
    try {
      this.policy = await trustPolicy(this.options.trustRoots);
      // Made once: the journal of process groups and every attempt's log go there.
      await mkdir(this.attemptsDir, { recursive: true });
      // Under claims, what a dead worker left under way is taken over when its lease lapses.
      if (!claims) await interruptCaught(this, this.tasks());
      // A run cancelled before it executed is not bootstrapped any more.
      // The bootstrap records the sandbox's finding and says a warning once; a resumed run says it here.
      if (claims) await bootstrapShared(this, () => this.bootstrap(), this.run);
      else if (mayHandle(planMachine, this.state.plan.value, "BOOTSTRAP_PHASE_STARTED")) await this.bootstrap();
      else if (this.sandbox.warning) this.note(`sandbox: ${this.sandbox.warning}`);
      const outcome = await this.loop();
      await leaveCheckpoint(store, runId, this.state, this.options.checkpointAfter);
      return outcome;
    } finally {
      watching.abort();
      await watched;
      this.launcher.close();
      await lease.release();
    }
  }

  /** Attempts' logs copied into a shared store as they grow, for the other hosts. */
  private mirrorOf: OutputMirror | null | undefined;
  private get mirror(): OutputMirror | null {
    if (this.mirrorOf === undefined) {
      const output = placeOf(this.options.store).output;
      const onError = (workerId: string, error: unknown) => this.note(`could not copy the output of ${workerId} into the store (it goes on in the local log): ${String(error)}`);
      this.mirrorOf = output ? new OutputMirror(output, this.options.runId, { onError }) : null;
    }
    return this.mirrorOf;
  }

  /**
   * Decides and appends a command, sharing the append with the others of this turn. On a shared
   * store, a command of an attempt's end is preceded by the copy of the attempt's log so far.
   */
  async command(command: CommandInput): Promise<void> {
    if (command.type === "StartAttempt" && this.options.claims) command = { ...command, claim: this.options.claims.claim };
    if (this.mirror && (command.type === "RecordExit" || command.type === "RecordVerification")) {
      const task = command.task_id as TaskId;
      const attempt = this.state.tasks.get(task)?.context.attempt ?? 0;
      await this.mirror.sync(workerIdFor(task, attempt), this.attemptLog(task, attempt)).catch((error: unknown) => this.note(`could not copy the output of ${command.task_id} into the store: ${String(error)}`));
    }
    const decided = this.run.command(command);
    // A task's end readies its dependents in the same append (one fsync fewer per task of a
    // chain). They are visited again at the loop's next turns, whichever turn readied them: taken
    // back now, and again once that append is decided (a turn of the loop's that saw them still
    // pending in between has dropped them).
    if (command.type === "RecordVerification" || command.type === "RecordMerge") {
      const ended = command.task_id as TaskId;
      this.index.takeBackDependents(this.state, ended);
      const again = () => this.index.takeBackDependents(this.state, ended);
      this.run.command({ type: "ScheduleReadyTasks", at: command.at }).then(again, again); // refused: the loop's own turn readies them
    }
    return decided;
  }

  get state() {
    return this.run.state;
  }

  /**
   * A step of the run as a whole (ready what may start, the end): under claims another worker
   * may take it first, and then it is refused here (the log has it already).
   */
  private turnStep(command: CommandInput): Promise<void> {
    return this.command(command).catch((error: unknown) => {
      if (!(this.options.claims && isPehError(error, "ILLEGAL_TRANSITION"))) throw error;
    });
  }

  private planState(): string {
    return stateName(this.state.plan.value);
  }

  taskState(id: TaskId): string {
    const cell = this.state.tasks.get(id);
    return cell ? stateName(cell.value) : "unknown";
  }

  private workerState(id: TaskId): string | undefined {
    const attempt = this.state.tasks.get(id)?.context.attempt ?? 0;
    const cell = this.state.workers.get(workerIdFor(id, attempt));
    return cell ? stateName(cell.value) : undefined;
  }

  private tasks(): PlanTask[] {
    return this.state.plan_spec?.tasks ?? [];
  }

  private finalOutcome(): Outcome | undefined {
    const plan = this.planState();
    return plan === "completed" || plan === "failed" || plan === "aborted" ? { kind: plan } : undefined;
  }

  note(text: string): void {
    this.options.progress({ kind: "note", text });
  }

  private get attemptsDir(): string {
    return join(placeOf(this.options.store).runDir(this.options.runId), "attempts");
  }

  /** An attempt's output. */
  private attemptLog(task: TaskId, attempt: number): string {
    return attemptLogPath(placeOf(this.options.store).runDir(this.options.runId), workerIdFor(task, attempt));
  }

  processOptions(task: PlanTask, attempt: number): ProcessOptions {
    // An isolated attempt's commands start in its worktree (isolation: worktree).
    const cwd = this.isolation.cwdFor(task, attempt, this.cwdOf(task)) ?? this.cwdOf(task);
    const logFile = this.attemptLog(task.id, attempt);
    // On a shared store, each command's output goes into it while the command runs.
    const mirror = this.mirror;
    const start: ProcessStarter = mirror ? (request) => mirror.during(workerIdFor(task.id, attempt), logFile, () => this.launcher.start(request)) : this.launcher.start;
    return { cwd, env: this.env, logFile, redact: this.redact, signal: this.halt.signal, start };
  }

  numbered(task: PlanTask): { index: number; total: number } {
    return this.index.numbered(this.state, task);
  }

  private async bootstrap(): Promise<void> {
    const context: BootstrapContext = {
      workspace: this.state.workspace ?? process.cwd(),
      storeDir: placeOf(this.options.store).where,
      sandbox: { record: this.sandbox.record, ...(this.sandbox.warning ? { warning: this.sandbox.warning } : {}) },
      configPath: configPath(),
      concurrency: this.options.concurrency,
      trustRoots: this.policy.roots,
    };
    await bootstrapRun(() => this.state.bootstrap.value, context, (command) => this.command(command), (text) => this.note(text));
  }

  private async loop(): Promise<Outcome> {
    while (true) {
      const finished = this.finalOutcome();
      if (finished) return finished;
      if (this.drain.signal.aborted) return this.drained();
      let retryIn: number | undefined;
      if (this.planState() === "executing") {
        await this.isolation.ensureRunBranch();
        await this.turnStep({ type: "ScheduleReadyTasks", at: now() });
        // Under claims, other workers' events ready tasks too: after a re-read every task is looked at.
        if (this.options.claims && this.run.reads !== this.readsSeen) {
          this.readsSeen = this.run.reads;
          this.index.revisitAll();
        } else this.index.takeBackReadied(this.state);
        retryIn = this.startWhatMay();
      } else if (this.planState() === "aborting" && this.state.plan.context.cancelled) {
        await this.stopForCancel();
      }
      if (this.active.size > 0 || retryIn !== undefined) {
        // A scheduled retry waits out its delay (what remains of it after a restart), while
        // other tasks go on; it holds no concurrency slot meanwhile. A human's event (a retry
        // made due now, a cancel) ends the wait too.
        const pause = retryIn === undefined ? undefined : delay(retryIn, this.drain.signal);
        const change = this.run.nextChange();
        await Promise.race([...this.active.values(), change.done, ...(pause ? [pause.done] : [])]);
        pause?.cancel();
        change.cancel();
        continue;
      }
      // An abort skips an interrupted isolated task only once its worktree is archived and removed.
      if (this.planState() === "aborting") await this.isolation.settleForAbort((task) => this.attempts.merge(task));
      const before = this.state.seq;
      await this.turnStep({ type: "Finish", at: now() });
      if (this.finalOutcome()) continue;
      const waiting = this.waitingFor();
      if (!waiting) {
        if (this.state.seq !== before) continue;
        // Nothing runs, nothing can start, nobody is asked: never spin, say where it stuck.
        const states = this.tasks().map((t) => `${t.id}: ${this.taskState(t.id)}`).join(", ");
        throw new PehError("RUN_FAILED", `run ${this.options.runId} cannot go on (plan ${this.planState()}; ${states})`, "this is a bug in peh: please report it with the run's events.jsonl");
      }
      if (!this.options.wait) return waiting;
      this.note(`waiting: ${waiting.reason} — ${waiting.next}`);
      await this.nextForeignEvent();
    }
  }

  /**
   * Starts every task that may run now, up to the concurrency; a task the plan holds stays.
   * Returns the milliseconds until the earliest scheduled retry that is not due yet: undefined
   * if there is none, or if every slot is taken (no retry could start before a task ends).
   */
  private startWhatMay(): number | undefined {
    const { unsettled } = this.index.of(this.state);
    let retryIn: number | undefined;
    for (const task of unsettled.values()) {
      if (this.active.size >= this.options.concurrency) return undefined;
      // A machine in a final state never takes another attempt: not visited again.
      if (this.state.tasks.get(task.id)?.status === "done" && !this.active.has(task.id)) {
        unsettled.delete(task.id);
        continue;
      }
      if (this.active.has(task.id) || this.planState() !== "executing") continue;
      const state = this.taskState(task.id);
      if (state === "pending") {
        // Waits for a dependency: visited again once a scheduler turn readies it.
        unsettled.delete(task.id);
        continue;
      }
      const worker = this.workerState(task.id);
      let work: (() => Promise<void>) | undefined;
      const retryWait = state === "retry_scheduled" ? retryWaitMs(this.state, task.id) : undefined;
      if (retryWait !== undefined && retryWait > 0 && (retryIn === undefined || retryWait < retryIn)) retryIn = retryWait;
      if (state === "ready" || retryWait === 0 || (state === "interrupted" && task.idempotent)) work = () => this.attempts.start(task);
      else if (state === "running" && worker === "trust_required" && this.trustedRoot(task)) work = () => this.attempts.trustAndRun(task);
      else if (state === "running" && worker === "trust_required" && placeOfAttempt(this, task).escaped) work = () => this.attempts.work(task); // refused: it leads out now
      else if (state === "running" && worker === "ready_for_prompt") work = () => this.attempts.work(task);
      else if (state === "verifying") work = () => this.attempts.verify(task, undefined);
      else if (state === "merging") work = () => this.attempts.merge(task);
      else if (state === "classifying" || state === "classified") work = () => this.attempts.resumeFailure(task);
      if (this.options.claims) work = this.options.claims.wrap(this, task, work, (ms) => (retryIn = retryIn === undefined ? ms : Math.min(retryIn, ms)));
      else if (work && slotsLeft(this.state) <= 0) return retryIn; // the plan's cap: an attempt's end wakes the loop
      if (!work) continue;
      const running = work()
        .catch((error: unknown) => {
          if (!isPehError(error, "ILLEGAL_TRANSITION")) throw error;
          // The plan moved on meanwhile (a decision from another terminal): leave the task.
        })
        .finally(() => this.active.delete(task.id));
      this.active.set(task.id, running);
    }
    return retryIn;
  }

  private get workspace(): string {
    return this.state.workspace ?? process.cwd();
  }

  /** How the attempt's own command was confined, from its profile: its failure is classified knowing it. */
  confinementOf(task: PlanTask, attempt: number): Confinement {
    const profile = this.sandbox.profile(task, this.state.plan.context.granted, undefined, this.isolation.workspaceRoot(task, attempt));
    return { sandboxed: profile.sandboxed, network: profile.network, writable: profile.writable, cwd: this.cwdOf(task) };
  }

  cwdOf(task: PlanTask): string {
    return workingDirOf(this.workspace, task);
  }

  trustedRoot(task: PlanTask): string | undefined {
    return trustedRootFor(this.policy, this.cwdOf(task));
  }

  /** What the run waits for from a human, with the command that unblocks it; undefined if nothing. */
  private waitingFor(): Waiting | undefined {
    const first = awaitedOf(this.state, { denial: denialOf(this.policy) })[0];
    return first && { kind: "waiting", reason: first.reason, next: first.command };
  }

  /** Waits until another process appends to the run (and it is read again), or the drain. */
  private async nextForeignEvent(): Promise<void> {
    const change = this.run.nextChange();
    const drained = delay(2 ** 31 - 1, this.drain.signal); // the longest timer: in effect, until the drain
    await Promise.race([change.done, drained.done]);
    change.cancel();
    drained.cancel();
    this.policy = await trustPolicy(this.options.trustRoots);
  }

  /**
   * A human cancelled the run: what runs is stopped (its process group killed, recorded
   * interrupted by its attempt); then what is left under way is settled (leftovers.ts).
   */
  private async stopForCancel(): Promise<void> {
    if (this.active.size === 0) return settleForCancel(this, this.tasks(), (task) => this.attempts.resumeFailure(task));
    if (!this.halt.signal.aborted) this.note(`the run was cancelled: stopping ${[...this.active.keys()].join(", ")}`);
    this.halt.abort();
  }

  private async drained(): Promise<Outcome> {
    await Promise.allSettled(this.active.values());
    this.note("drained: running tasks were stopped and recorded as interrupted; `peh run` resumes");
    return { kind: "drained" };
  }
}
