// The worker service: `spawn_worker`, `check_trust`, `mark_trusted`, `get_worker` over the same
// worker machine and store as `peh run`. Its workers live in a run of their own (created on the
// first spawn, with a plan that each spawn extends by a confirmed change), so `peh status`,
// `peh log` and every other view replay them too. The machines decide: `mark_trusted` is refused
// unless the worker is in `trust_required`. Nothing here runs the workers' commands.
import { z } from "zod";
import {
  BOOTSTRAP_PHASES,
  PehError,
  TaskIdSchema,
  WorkerIdSchema,
  isPehError,
  workerIdFor,
  type EventStore,
  type PlanFile,
  type RunId,
  type TaskId,
  type WorkerId,
} from "../../events/index.js";
import type { CommandInput } from "../../machines/commands.js";
import { stateName } from "../../machines/state-name.js";
import { workingDirOf } from "../execution/attempt-support.js";
import { recordedPhase } from "../execution/bootstrap-phases.js";
import { RunHandle } from "../command-handler.js";
import { newRunId } from "../gate.js";
import { PlannedPacketSchema } from "../planning/external-planner.js";
import { slugify } from "../planning/edit.js";
import { validatePlan } from "../planning/validate.js";
import { configPath, trustPolicy, trustedRootFor, type TrustPolicy } from "../execution/trust.js";
import { method, type Service } from "./protocol.js";
import { now } from "../execution/clock.js";

export const SpawnWorkerParamsSchema = z.object({
  task_packet: PlannedPacketSchema,
  /** The phrase of a risky packet, as a human would type it to approve it (never implied). */
  confirm: z.string().min(1).optional(),
});
export const WorkerRefParamsSchema = z.object({ worker_id: WorkerIdSchema });
export const MarkTrustedParamsSchema = z.object({ worker_id: WorkerIdSchema, approval_source: z.string().min(1).max(200).optional() });

/** A worker event on the wire (DESIGN §8). */
export const WireWorkerEventSchema = z.object({
  event_id: z.string(),
  /** The worker's state after the event. */
  kind: z.string(),
  worker_id: z.string(),
  /** Epoch seconds. */
  timestamp: z.number(),
  payload: z.record(z.string(), z.unknown()),
});
export type WireWorkerEvent = z.infer<typeof WireWorkerEventSchema>;

export const WorkerViewSchema = z.object({
  worker_id: z.string(),
  task_id: z.string(),
  run_id: z.string(),
  state: z.string(),
  cwd: z.string(),
  trust: z.unknown().nullable(),
  events: z.array(WireWorkerEventSchema),
});

export interface WorkerServiceOptions {
  store: EventStore;
  /** Where scope paths resolve, and the workspace recorded for the run. */
  cwd: string;
  storeDir: string;
  /** Who the service acts for in the log (the worker run's approval and trust by allowlist). */
  actor: string;
  trustRoots: string[];
}

export function workerService(options: WorkerServiceOptions): Service {
  let run: RunHandle | undefined;
  let policy: TrustPolicy | undefined;

  /** The service's run: created, approved and bootstrapped on the first spawn. */
  async function theRun(): Promise<RunHandle> {
    if (run) return run;
    policy = await trustPolicy(options.trustRoots);
    const runId: RunId = newRunId();
    const handle = await RunHandle.open(options.store, runId);
    const plan: PlanFile = { objective: "Workers served over JSON-RPC (peh serve worker)", tasks: [] };
    await handle.handle({ type: "CreatePlan", at: now(), actor: options.actor, run_id: runId, plan, workspace: options.cwd, planner: "rpc" });
    await handle.handle({ type: "ApprovePlan", at: now(), actor: options.actor, version: 1, confirmations: [] });
    const context = { workspace: options.cwd, storeDir: options.storeDir, configPath: configPath(), concurrency: 1, trustRoots: policy.roots };
    for (const phase of BOOTSTRAP_PHASES) await recordedPhase(phase, context, (command) => handle.handle(command));
    run = handle;
    return handle;
  }

  /** Decides and appends, re-reading the run once if another writer came first. */
  async function act(command: CommandInput): Promise<void> {
    const handle = await theRun();
    try {
      await handle.handle(command);
    } catch (error) {
      if (!isPehError(error, "APPEND_CONFLICT")) throw error;
      run = await RunHandle.open(options.store, handle.runId);
      await run.handle(command);
    }
  }

  function workerCell(workerId: WorkerId) {
    const cell = run?.state.workers.get(workerId);
    if (!cell) throw new PehError("USAGE", `unknown worker "${workerId}"`, "spawn_worker answers with the worker_id to use");
    return cell;
  }

  return {
    spawn_worker: method({
      summary: "a TaskPacket → a new worker (spawning, then waiting at trust_required): {worker_id}",
      params: SpawnWorkerParamsSchema,
      result: z.object({ worker_id: z.string() }),
      handle: async ({ task_packet, confirm }) => {
        const handle = await theRun();
        const current = handle.state.plan_spec!;
        const taken = new Set(current.tasks.map((t) => t.id as string));
        const base = task_packet.id ?? (slugify(task_packet.objective) || "worker");
        let id = base;
        for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
        const task = { ...task_packet, id: TaskIdSchema.parse(id), depends_on: [] };
        const plan: PlanFile = { objective: current.objective, tasks: [...current.tasks, task] };
        const errors = validatePlan(plan, { workspace: options.cwd }).filter((p) => p.severity === "error" && p.task_id === id && p.code !== "NO_CHECK");
        if (errors.length > 0) throw new PehError("PLAN_INVALID", `the task packet is invalid: ${errors.map((e) => e.message).join("; ")}`, errors[0]!.fix);
        await act({ type: "ChangePlan", at: now(), actor: options.actor, plan, change: `spawn_worker ${id}`, confirmations: confirm ? [confirm] : [] });
        await act({ type: "ScheduleReadyTasks", at: now() });
        await act({ type: "StartAttempt", at: now(), task_id: id, cwd: workingDirOf(options.cwd, task) });
        const attempt = run!.state.tasks.get(id as TaskId)!.context.attempt;
        return { worker_id: workerIdFor(id as TaskId, attempt) };
      },
    }),
    check_trust: method({
      summary: "{worker_id} → {requires_approval}; a worker inside a trusted root is trusted now",
      params: WorkerRefParamsSchema,
      result: z.object({ requires_approval: z.boolean() }),
      handle: async ({ worker_id }) => {
        await theRun();
        const cell = workerCell(worker_id);
        if (stateName(cell.value) !== "trust_required") return { requires_approval: false };
        const root = trustedRootFor(policy!, cell.context.cwd);
        if (!root) return { requires_approval: true };
        await act({ type: "ResolveTrust", at: now(), worker_id, resolution: { source: "allowlist", root } });
        return { requires_approval: false };
      },
    }),
    mark_trusted: method({
      summary: "{worker_id, approval_source?} → {success}; refused unless the worker is in trust_required",
      params: MarkTrustedParamsSchema,
      result: z.object({ success: z.boolean() }),
      handle: async ({ worker_id, approval_source }) => {
        await theRun();
        workerCell(worker_id);
        const by = approval_source ?? options.actor;
        await act({ type: "ResolveTrust", at: now(), actor: by, worker_id, resolution: { source: "manual", by } });
        return { success: true };
      },
    }),
    get_worker: method({
      summary: "{worker_id} → the worker's state and its events",
      params: WorkerRefParamsSchema,
      result: WorkerViewSchema,
      handle: async ({ worker_id }) => {
        const handle = await theRun();
        const cell = workerCell(worker_id);
        const events = (await options.store.read(handle.runId)).filter((e) => e.entity === `worker:${worker_id}`);
        return {
          worker_id,
          task_id: cell.context.task_id,
          run_id: handle.runId,
          state: stateName(cell.value),
          cwd: cell.context.cwd,
          trust: cell.context.trust,
          events: events.map((e) => ({
            event_id: e.id,
            kind: e.to ?? stateName(cell.value),
            worker_id,
            timestamp: Date.parse(e.at) / 1000,
            payload: { type: e.type, ...(e.data as Record<string, unknown>) },
          })),
        };
      },
    }),
  };
}
