// Many workers on one run (`peh worker` on a shared PostgreSQL store): each worker claims ready
// tasks and executes their attempts; nobody holds the whole run. An attempt's claim is its start
// appended at the expected version with WORKER_CLAIMED (the machines are the fence: two workers
// cannot both start attempt N); before it, the worker takes the attempt's lease, a row on the
// server's clock (`attempt:<run>:<worker>`), so that racing workers mostly step aside without a
// conflict, and renews it every quarter of its length while it works. When a holder stops
// renewing (it died, stalled, lost the server), another worker takes the lease over and records
// WORKER_LEASE_EXPIRED with TASK_INTERRUPTED: the task runs again if idempotent, else a human
// decides. The old holder's late results name its attempt and are refused by the machines.
// At-least-once execution, exactly-once recording.
import { hostname } from "node:os";
import { holderText, isHolderAlive, parseHolder, type PostgresLeases } from "../../events/adapters.js";
import { PehError, workerIdFor, type PlanTask, type RunId, type TaskId, type WorkerId } from "../../events/index.js";
import { claimOf, slotsLeft, type Claim } from "../../machines/claims.js";
import type { RunState } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { mayHandle } from "../../machines/memo/lite.js";
import { planMachine } from "../../machines/plan.js";
import { interruptionReason } from "./attempt/attempt-support.js";
import type { RunClaims, RunContext } from "./attempt/run-context.js";
import { now } from "./clock.js";

/** How long an attempt's claim outlives its holder's last renewal, by default. */
export const TASK_LEASE_MS = 30_000;

/** $PEH_TASK_LEASE_SECONDS: the claim's lease (default 30 s). */
export function taskLeaseMs(): number {
  const raw = process.env.PEH_TASK_LEASE_SECONDS;
  if (raw === undefined || raw === "") return TASK_LEASE_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new PehError("USAGE", `PEH_TASK_LEASE_SECONDS must be a number of seconds > 0, not "${raw}"`, "e.g. PEH_TASK_LEASE_SECONDS=30");
  return Math.max(200, Math.round(seconds * 1000));
}

/** Task states in which a new attempt may be claimed. */
const STARTABLE = new Set(["ready", "retry_scheduled", "interrupted"]);

export class TaskClaims implements RunClaims {
  /** This worker process, as its claims name it. */
  readonly holder = holderText().trim();
  private readonly renewals = new Map<WorkerId, NodeJS.Timeout>();
  /** When an attempt held by another worker is looked at again (ms since the epoch). */
  private readonly lookAgain = new Map<WorkerId, number>();

  constructor(
    private readonly leases: PostgresLeases,
    private readonly runId: RunId,
    readonly leaseMs: number = taskLeaseMs(),
  ) {}

  private name(worker: WorkerId): string {
    return `attempt:${this.runId}:${worker}`;
  }

  /** What StartAttempt carries under claims. */
  get claim(): { holder: string; lease_ms: number } {
    return { holder: this.holder, lease_ms: this.leaseMs };
  }

  /**
   * Wraps `work` on a task, as `startWhatMay` chose it, for many workers: a new attempt only
   * under the plan's cap and with its lease taken first; an attempt another worker holds only
   * once its lease lapsed (then interrupted, or carried on where nothing runs). Returns undefined
   * when there is nothing for this worker to do now, with `wake` the ms until it should look again.
   */
  wrap(run: RunContext, task: PlanTask, work: (() => Promise<void>) | undefined, wake: (ms: number) => void): (() => Promise<void>) | undefined {
    const state = run.state;
    const taskState = run.taskState(task.id);
    const attempt = state.tasks.get(task.id)?.context.attempt ?? 0;
    const claim = claimOf(state, task.id);
    if (claim && this.watching(claim.worker, wake)) return undefined;
    if (claim) return () => this.takeOver(run, task, claim, work, wake);
    if (!work) return undefined;
    if (STARTABLE.has(taskState)) {
      if (slotsLeft(state) <= 0) return undefined; // an attempt's end (an event) wakes the loop
      const next = workerIdFor(task.id, attempt + 1);
      if (this.watching(next, wake)) return undefined;
      return () => this.holding(next, work, wake);
    }
    // Carried on where its last holder left it (trust given meanwhile, a failure to classify).
    return () => this.holding(workerIdFor(task.id, attempt), work, wake);
  }

  /** Whether the attempt was looked at a moment ago (then `wake` says when to look again). */
  private watching(worker: WorkerId, wake: (ms: number) => void): boolean {
    const at = this.lookAgain.get(worker);
    if (at === undefined) return false;
    const left = at - Date.now();
    if (left <= 0) {
      this.lookAgain.delete(worker);
      return false;
    }
    wake(left);
    return true;
  }

  private later(worker: WorkerId, wake: (ms: number) => void): void {
    const ms = Math.max(50, Math.round(this.leaseMs / 4));
    this.lookAgain.set(worker, Date.now() + ms);
    wake(ms);
  }

  /** Takes the attempt's lease, works under it (renewed), then lets it go. */
  private async holding(worker: WorkerId, work: () => Promise<void>, wake: (ms: number) => void): Promise<void> {
    if (!(await this.take(worker))) {
      this.later(worker, wake);
      return;
    }
    try {
      await work();
    } finally {
      await this.release(worker);
    }
  }

  /** The attempt's lease for this worker: free, expired or already its own; `stale` a holder known dead. */
  private async take(worker: WorkerId, stale = ""): Promise<boolean> {
    const held = await this.leases.acquire(this.name(worker), this.holder, this.leaseMs, stale);
    if (held) return false;
    const renewal = setInterval(() => void this.leases.renew(this.name(worker), this.holder, this.leaseMs).catch(() => undefined), Math.max(50, this.leaseMs / 4));
    renewal.unref();
    this.renewals.get(worker)?.unref();
    clearInterval(this.renewals.get(worker));
    this.renewals.set(worker, renewal);
    return true;
  }

  private async release(worker: WorkerId): Promise<void> {
    clearInterval(this.renewals.get(worker));
    this.renewals.delete(worker);
    await this.leases.release(this.name(worker), this.holder).catch(() => undefined);
  }

  /**
   * An attempt another worker claimed: looked at again later while its lease is renewed; taken
   * over once it lapsed (or its holder died on this host). Taken over, an attempt whose command
   * runs is interrupted (its orphans here killed first) and escalated unless idempotent; one whose
   * command had ended (checks to run, a failure to classify, a commit to merge) is carried on by `work`.
   */
  private async takeOver(run: RunContext, task: PlanTask, claim: Claim, work: (() => Promise<void>) | undefined, wake: (ms: number) => void): Promise<void> {
    const worker = claim.worker;
    const lease = await this.leases.holding(this.name(worker));
    const holder = parseHolder(lease?.holder ?? claim.holder);
    const deadHere = holder !== undefined && holder.host === hostname() && !isHolderAlive(holder);
    const mine = lease?.holder === this.holder;
    if (lease?.alive && !deadHere && !mine) {
      this.later(worker, wake);
      return;
    }
    if (!(await this.take(worker, lease?.holder ?? ""))) {
      this.later(worker, wake);
      return;
    }
    try {
      const taskState = run.taskState(task.id);
      // Its command had ended and was recorded: only its checks run again (as after a crash).
      if (taskState === "verifying") await run.pids.killOrphans(worker);
      if (taskState === "running") {
        const { orphan } = interruptionReason(await run.pids.killOrphans(worker));
        const reason = `the worker that held it (${describe(claim.holder)}) stopped renewing its lease; ${orphan}`;
        await run.command({ type: "InterruptTask", at: now(), task_id: task.id, reason, expired: { attempt: claim.attempt, holder: claim.holder, by: this.holder } });
        run.note(`${task.id}: took over attempt ${claim.attempt} from ${describe(claim.holder)}; ${task.idempotent ? "it runs again" : "it is not idempotent: a human decides"}`);
        if (!task.idempotent && mayHandle(planMachine, run.state.plan.value, "RECOVERY_ESCALATION")) {
          await run.command({ type: "Escalate", at: now(), task_id: task.id, class: null, reason: `interrupted and not idempotent: its worker stopped renewing its lease (${orphan})` });
        }
      } else if (work) {
        await work();
      }
    } finally {
      await this.release(worker);
    }
  }

  /** Stops renewing every lease this worker holds (its run ends or drains). */
  async close(): Promise<void> {
    await Promise.all([...this.renewals.keys()].map((worker) => this.release(worker)));
  }
}

/** A holder as people read it: `pid 4242 on build-7`. */
export function describe(holder: string): string {
  const parsed = parseHolder(holder);
  return parsed ? `pid ${parsed.pid} on ${parsed.host}` : holder;
}

/** Whether a claim of the task is under way that another worker holds (for the loop's end). */
export function heldByOthers(state: RunState, ids: Iterable<TaskId>, self: string): boolean {
  for (const id of ids) {
    const claim = claimOf(state, id);
    if (claim && claim.holder !== self) return true;
    if (stateName(state.tasks.get(id)?.value ?? "pending") === "classified") return true;
  }
  return false;
}
