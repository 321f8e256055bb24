// The run's turns, as the orchestrator drives them: ready what may start, start every task that
// may run now (up to `concurrency`, a retry once it is due), wait for an attempt's end, a human's
// event or a retry's due time; at the end, finish the run or say what it waits for. Stops what
// runs on a drain or a cancel.
import { PehError, isPehError, workerIdFor, type PlanTask, type TaskId } from "../../../events/index.js";
import type { CommandInput } from "../../../machines/decider/commands.js";
import { slotsLeft } from "../../../machines/claims.js";
import { stateName } from "../../../machines/fold/state-name.js";
import { delay } from "../delay.js";
import type { GroupCommit } from "../group-commit.js";
import type { PlanIndex } from "../plan-index.js";
import { now } from "../clock.js";
import type { Attempts } from "../attempt/attempt.js";
import { retryWaitMs } from "../attempt/attempt-failure.js";
import { settleForCancel } from "../attempt/leftovers.js";
import { placeOfAttempt } from "../attempt/scope-guard.js";
import type { Outcome, RunContext, Waiting } from "../attempt/run-context.js";

/** What the loop takes from the orchestrator besides the run's context. */
export interface LoopParts {
  /** The run's log: appended in groups, followed for other writers' events. */
  readonly log: GroupCommit;
  readonly index: PlanIndex;
  /** The steps of one attempt, each decided and durable before its effect. */
  readonly attempts: Attempts;
  /** Aborted on SIGINT/SIGTERM: drain. */
  readonly drain: AbortSignal;
  /** Stops the attempts' processes: on a drain, or when a human cancels the run. */
  readonly halt: AbortController;
  planState(): string;
  tasks(): PlanTask[];
  finalOutcome(): Outcome | undefined;
  /** A step of the run as a whole; under claims another worker may take it first. */
  turnStep(command: CommandInput): Promise<void>;
  /** What the run waits for from a human, with the command that unblocks it; undefined if nothing. */
  waitingFor(): Waiting | undefined;
  /** Waits until another process appends to the run (and it is read again), or the drain. */
  nextForeignEvent(): Promise<void>;
}

export class RunLoop {
  private readonly active = new Map<TaskId, Promise<void>>();
  /** The log's re-reads the scheduler has looked at (many workers). */
  private readsSeen = -1;

  constructor(private readonly run: RunContext, private readonly parts: LoopParts) {}

  async loop(): Promise<Outcome> {
    while (true) {
      const finished = this.parts.finalOutcome();
      if (finished) return finished;
      if (this.parts.drain.aborted) return this.drained();
      let retryIn: number | undefined;
      if (this.parts.planState() === "executing") {
        await this.run.isolation.ensureRunBranch();
        await this.parts.turnStep({ type: "ScheduleReadyTasks", at: now() });
        // Under claims, other workers' events ready tasks too: after a re-read every task is looked at.
        if (this.run.options.claims && this.parts.log.reads !== this.readsSeen) {
          this.readsSeen = this.parts.log.reads;
          this.parts.index.revisitAll();
        } else this.parts.index.takeBackReadied(this.run.state);
        retryIn = this.startWhatMay();
      } else if (this.parts.planState() === "aborting" && this.run.state.plan.context.cancelled) {
        await this.stopForCancel();
      }
      if (this.active.size > 0 || retryIn !== undefined) {
        // A scheduled retry waits out its delay (what remains of it after a restart), while
        // other tasks go on; it holds no concurrency slot meanwhile. A human's event (a retry
        // made due now, a cancel) ends the wait too.
        const pause = retryIn === undefined ? undefined : delay(retryIn, this.parts.drain);
        const change = this.parts.log.nextChange();
        await Promise.race([...this.active.values(), change.done, ...(pause ? [pause.done] : [])]);
        pause?.cancel();
        change.cancel();
        continue;
      }
      // An abort skips an interrupted isolated task only once its worktree is archived and removed.
      if (this.parts.planState() === "aborting") await this.run.isolation.settleForAbort((task) => this.parts.attempts.merge(task));
      const before = this.run.state.seq;
      await this.parts.turnStep({ type: "Finish", at: now() });
      if (this.parts.finalOutcome()) continue;
      const waiting = this.parts.waitingFor();
      if (!waiting) {
        if (this.run.state.seq !== before) continue;
        // Nothing runs, nothing can start, nobody is asked: never spin, say where it stuck.
        const states = this.parts.tasks().map((t) => `${t.id}: ${this.run.taskState(t.id)}`).join(", ");
        throw new PehError("RUN_FAILED", `run ${this.run.options.runId} cannot go on (plan ${this.parts.planState()}; ${states})`, "this is a bug in peh: please report it with the run's events.jsonl");
      }
      if (!this.run.options.wait) return waiting;
      this.run.note(`waiting: ${waiting.reason} — ${waiting.next}`);
      await this.parts.nextForeignEvent();
    }
  }

  /**
   * Starts every task that may run now, up to the concurrency; a task the plan holds stays.
   * Returns the milliseconds until the earliest scheduled retry that is not due yet: undefined
   * if there is none, or if every slot is taken (no retry could start before a task ends).
   */
  private startWhatMay(): number | undefined {
    const { unsettled } = this.parts.index.of(this.run.state);
    let retryIn: number | undefined;
    for (const task of unsettled.values()) {
      if (this.active.size >= this.run.options.concurrency) return undefined;
      // A machine in a final state never takes another attempt: not visited again.
      if (this.run.state.tasks.get(task.id)?.status === "done" && !this.active.has(task.id)) {
        unsettled.delete(task.id);
        continue;
      }
      if (this.active.has(task.id) || this.parts.planState() !== "executing") continue;
      const state = this.run.taskState(task.id);
      if (state === "pending") {
        // Waits for a dependency: visited again once a scheduler turn readies it.
        unsettled.delete(task.id);
        continue;
      }
      const worker = this.workerState(task.id);
      let work: (() => Promise<void>) | undefined;
      const retryWait = state === "retry_scheduled" ? retryWaitMs(this.run.state, task.id) : undefined;
      if (retryWait !== undefined && retryWait > 0 && (retryIn === undefined || retryWait < retryIn)) retryIn = retryWait;
      if (state === "ready" || retryWait === 0 || (state === "interrupted" && task.idempotent)) work = () => this.parts.attempts.start(task);
      else if (state === "running" && worker === "trust_required" && this.run.trustedRoot(task)) work = () => this.parts.attempts.trustAndRun(task);
      else if (state === "running" && worker === "trust_required" && placeOfAttempt(this.run, task).escaped) work = () => this.parts.attempts.work(task); // refused: it leads out now
      else if (state === "running" && worker === "ready_for_prompt") work = () => this.parts.attempts.work(task);
      else if (state === "verifying") work = () => this.parts.attempts.verify(task, undefined);
      else if (state === "merging") work = () => this.parts.attempts.merge(task);
      else if (state === "classifying" || state === "classified") work = () => this.parts.attempts.resumeFailure(task);
      if (this.run.options.claims) work = this.run.options.claims.wrap(this.run, task, work, (ms) => (retryIn = retryIn === undefined ? ms : Math.min(retryIn, ms)));
      else if (work && slotsLeft(this.run.state) <= 0) return retryIn; // the plan's cap: an attempt's end wakes the loop
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

  private workerState(id: TaskId): string | undefined {
    const attempt = this.run.state.tasks.get(id)?.context.attempt ?? 0;
    const cell = this.run.state.workers.get(workerIdFor(id, attempt));
    return cell ? stateName(cell.value) : undefined;
  }

  /**
   * A human cancelled the run: what runs is stopped (its process group killed, recorded
   * interrupted by its attempt); then what is left under way is settled (leftovers.ts).
   */
  private async stopForCancel(): Promise<void> {
    if (this.active.size === 0) return settleForCancel(this.run, this.parts.tasks(), (task) => this.parts.attempts.resumeFailure(task));
    if (!this.parts.halt.signal.aborted) this.run.note(`the run was cancelled: stopping ${[...this.active.keys()].join(", ")}`);
    this.parts.halt.abort();
  }

  private async drained(): Promise<Outcome> {
    await Promise.allSettled(this.active.values());
    this.run.note("drained: running tasks were stopped and recorded as interrupted; `peh run` resumes");
    return { kind: "drained" };
  }
}
