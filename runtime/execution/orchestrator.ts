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
import { Attempts } from "./attempt/attempt.js";
import { PidRecords } from "./attempt/attempt-support.js";
import { workingDirOf } from "../workspace/place.js";
import { attemptLogPath } from "./attempt/attempt-log.js";
import { agentProblems, requireAgentCommands } from "./attempt/agent-check.js";
import { interruptCaught } from "./attempt/leftovers.js";
import { PlanIndex } from "./plan-index.js";
import { bootstrapShared } from "./shared-bootstrap.js";
import { placeOf } from "../store/place.js";
import { OutputMirror } from "./process/output-mirror.js";
import { Launcher } from "./process/launcher.js";
import type { ProcessStarter } from "./process/process-runner.js";
import { RunSandbox } from "../workspace/run-sandbox.js";
import type { Confinement } from "./failure/classify.js";
import { redactorFor, type Redactor } from "./process/redact.js";
import { configPath, denialOf, trustPolicy, trustedRootFor, type TrustPolicy } from "./trust/trust.js";
import { leaveCheckpoint } from "../view-state.js";
import type { ExecuteOptions, Outcome, ProcessOptions, RunContext, Waiting } from "./attempt/run-context.js";
import { IsolatedWork } from "../workspace/isolated-work.js";
import { resolveAgent } from "../agents/resolve.js";
import { RunLoop } from "./scheduler/run-loop.js";

export type { ExecuteOptions, Outcome, ProgressLine, Waiting } from "./attempt/run-context.js";

export class Orchestrator implements RunContext {
  private run!: GroupCommit;
  private readonly index = new PlanIndex();
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

  /** The run's turns, until it ends, waits for a human, or is drained (scheduler/run-loop.ts). */
  private loop(): Promise<Outcome> {
    return new RunLoop(this, {
      log: this.run, index: this.index, attempts: this.attempts, drain: this.drain.signal, halt: this.halt,
      planState: () => this.planState(), tasks: () => this.tasks(), finalOutcome: () => this.finalOutcome(),
      turnStep: (command) => this.turnStep(command), waitingFor: () => this.waitingFor(), nextForeignEvent: () => this.nextForeignEvent(),
    }).loop();
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
}
