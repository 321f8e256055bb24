// The worker service: `spawn_worker`, `check_trust`, `mark_trusted`, `get_worker` over the same
// worker machine and store as `peh run`. Its workers live in a run of their own (one per workspace,
// continued by the next service process; each spawn extends its plan by a confirmed change, with
// risk inferred as for a plan file), so every view replays them too. The machines decide:
// `mark_trusted` is refused unless the worker is in `trust_required`, and trust comes only from a
// human's name or a trusted root. Nothing here runs the workers' commands, nor does `peh run`.
import { z } from "zod";
import {
  BOOTSTRAP_PHASES,
  PehError,
  SERVICE_PLANNER,
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
import type { CommandInput } from "../../machines/decider/commands.js";
import { stateName } from "../../machines/fold/state-name.js";
import { workingDirOf } from "../workspace/place.js";
import { recordedPhase } from "../execution/bootstrap-phases.js";
import { RunHandle } from "../command-handler.js";
import { newRunId } from "../gate/gate.js";
import { resolveRisk } from "../planning/risk.js";
import { serviceRun } from "../store/run-id.js";
import { PlannedPacketSchema } from "../planning/external-planner.js";
import { slugify } from "../planning/edit.js";
import { nodeScopeFs } from "../planning/scope/scope-fs.js";
import { validatePlan } from "../planning/validate.js";
import { configPath, deniedBy, trustPolicy, trustedRootFor, untrustedReason, type TrustPolicy } from "../execution/trust/trust.js";
import { method, type Service } from "./protocol.js";
import { now } from "../execution/clock.js";

export const SpawnWorkerParamsSchema = z.object({
  task_packet: PlannedPacketSchema,
  /** The phrase of a risky packet, as a human would type it to approve it (never implied). */
  confirm: z.string().min(1).optional(),
});
export const WorkerRefParamsSchema = z.object({ worker_id: WorkerIdSchema });
/** Names that are never a human's: peh's own, and the one the service records its own steps with. */
const notAHuman = (serviceActor: string) => [...new Set(["system", serviceActor])];

/**
 * mark_trusted's params: trust is recorded only from a human's name (or a trusted root, at
 * check_trust), never implied by the service. `serviceActor` is the service's own name.
 */
export function markTrustedParams(serviceActor: string) {
  const reserved = notAHuman(serviceActor);
  return z.object({
    worker_id: WorkerIdSchema,
    approval_source: z
      .string({ error: `a human's name is needed: approval_source says who trusts the worker (e.g. "ana")` })
      .min(1, { error: "a human's name is needed, not an empty string" })
      .max(200)
      .refine((name) => name.trim() !== "", { error: "a human's name is needed, not blanks" })
      .refine((name) => !reserved.includes(name.trim()), {
        error: `a human's name is needed: ${reserved.map((name) => `"${name}"`).join(" and ")} ${reserved.length === 1 ? "is" : "are"} the names peh and this service record their own steps with`,
      })
      .describe("the human who trusts the worker, recorded in the log (not \"system\" nor the service's own --as name)"),
  });
}


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
  let runId: RunId | undefined;
  let policy: TrustPolicy | undefined;

  /**
   * The service's run, read afresh (another service process or a human's `peh trust` may have
   * appended since): the open service run of this workspace if there is one, so that workers
   * spawned by an earlier process are known and no worker id is used twice; else a new one,
   * created, approved and bootstrapped on the first request.
   */
  async function theRun(): Promise<RunHandle> {
    policy ??= await trustPolicy(options.trustRoots);
    if (runId) return RunHandle.open(options.store, runId);
    const existing = await openServiceRun(options.store, options.cwd);
    if (existing) {
      runId = existing.runId;
      return existing;
    }
    const handle = await RunHandle.open(options.store, newRunId());
    const plan: PlanFile = { objective: "Workers served over JSON-RPC (peh serve worker)", tasks: [] };
    await handle.handle({ type: "CreatePlan", at: now(), actor: options.actor, run_id: handle.runId, plan, workspace: options.cwd, planner: SERVICE_PLANNER });
    await handle.handle({ type: "ApprovePlan", at: now(), actor: options.actor, version: 1, confirmations: [] });
    const context = { workspace: options.cwd, storeDir: options.storeDir, configPath: configPath(), concurrency: 1, trustRoots: policy.roots };
    for (const phase of BOOTSTRAP_PHASES) await recordedPhase(phase, context, (command) => handle.handle(command));
    runId = handle.runId;
    return handle;
  }

  /** Decides against the run as it is now and appends; built again from a fresh read if another writer came first. */
  async function act(build: (state: RunHandle["state"]) => CommandInput): Promise<RunHandle> {
    for (let retry = 0; ; retry++) {
      const handle = await theRun();
      try {
        await handle.handle(build(handle.state));
        return handle;
      } catch (error) {
        if (!isPehError(error, "APPEND_CONFLICT") || retry >= 3) throw error;
      }
    }
  }

  function workerCell(handle: RunHandle, workerId: WorkerId) {
    const cell = handle.state.workers.get(workerId);
    if (!cell) throw new PehError("USAGE", `unknown worker "${workerId}"`, "spawn_worker answers with the worker_id to use");
    return cell;
  }

  /** A packet as a task of the service's plan: a fresh id, and risk inferred as for a plan file. */
  function taskOf(packet: z.infer<typeof PlannedPacketSchema>, current: PlanFile) {
    const taken = new Set(current.tasks.map((t) => t.id as string));
    const base = packet.id ?? (slugify(packet.objective) || "worker");
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    const [task] = resolveRisk({ objective: current.objective, tasks: [{ ...packet, id: TaskIdSchema.parse(id), depends_on: [] }] }).tasks;
    return task!;
  }

  return {
    spawn_worker: method({
      summary: "a TaskPacket → a new worker (spawning, then waiting at trust_required): {worker_id}",
      params: SpawnWorkerParamsSchema,
      result: z.object({ worker_id: z.string() }),
      handle: async ({ task_packet, confirm }) => {
        let id: TaskId | undefined;
        await act((state) => {
          const current = state.plan_spec!;
          const task = taskOf(task_packet, current);
          id = task.id;
          const plan: PlanFile = { objective: current.objective, tasks: [...current.tasks, task] };
          const errors = validatePlan(plan, { workspace: options.cwd, fs: nodeScopeFs }).filter((p) => p.severity === "error" && p.task_id === task.id && p.code !== "NO_CHECK");
          if (errors.length > 0) throw new PehError("PLAN_INVALID", `the task packet is invalid: ${errors.map((e) => e.message).join("; ")}`, errors[0]!.fix);
          return { type: "ChangePlan", at: now(), actor: options.actor, plan, change: `spawn_worker ${task.id}`, confirmations: confirm ? [confirm] : [] };
        }).catch((error: unknown) => {
          if (!isPehError(error, "CONFIRMATION_MISSING")) throw error;
          // The decider's hint is the command line's; over the wire the phrase goes in `confirm`.
          throw new PehError(error.code, `the task packet is risky: ${error.message.replace(/^the change adds [^;]*; /, "")}`, 'pass the phrase in params.confirm: {"task_packet": {…}, "confirm": "<phrase>"}', error.details);
        });
        const task = id!;
        await act(() => ({ type: "ScheduleReadyTasks", at: now() }));
        const handle = await act((state) => ({ type: "StartAttempt", at: now(), task_id: task, cwd: workingDirOf(options.cwd, state.plan_spec!.tasks.find((t) => t.id === task)!) }));
        return { worker_id: workerIdFor(task, handle.state.tasks.get(task)!.context.attempt) };
      },
    }),
    check_trust: method({
      summary: "{worker_id} → {requires_approval}; a worker inside a trusted root is trusted now",
      params: WorkerRefParamsSchema,
      result: z.object({ requires_approval: z.boolean() }),
      handle: async ({ worker_id }) => {
        const cell = workerCell(await theRun(), worker_id);
        if (stateName(cell.value) !== "trust_required") return { requires_approval: false };
        const root = trustedRootFor(policy!, cell.context.cwd);
        if (!root) return { requires_approval: true };
        await act(() => ({ type: "ResolveTrust", at: now(), worker_id, resolution: { source: "allowlist", root } }));
        return { requires_approval: false };
      },
    }),
    mark_trusted: method({
      summary: "{worker_id, approval_source} → {success}; approval_source is the human who trusts it; refused unless the worker is in trust_required",
      params: markTrustedParams(options.actor),
      result: z.object({ success: z.boolean() }),
      handle: async ({ worker_id, approval_source }) => {
        const cell = workerCell(await theRun(), worker_id);
        // The deny list wins over every grant, a human's for one worker too.
        const denied = deniedBy(policy!, cell.context.cwd);
        if (denied !== undefined) {
          throw new PehError(
            "USAGE",
            `worker ${worker_id} runs in ${cell.context.cwd}, which is ${untrustedReason(policy!, cell.context.cwd)}; nothing was trusted`,
            `if it is meant to be trusted, remove ${denied} from trust.deny in ${policy!.config} first`,
          );
        }
        const by = approval_source.trim();
        await act(() => ({ type: "ResolveTrust", at: now(), actor: by, worker_id, resolution: { source: "manual", by } }));
        return { success: true };
      },
    }),
    get_worker: method({
      summary: "{worker_id} → the worker's state and its events",
      params: WorkerRefParamsSchema,
      result: WorkerViewSchema,
      handle: async ({ worker_id }) => {
        const handle = await theRun();
        const cell = workerCell(handle, worker_id);
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

/**
 * The open service run of `workspace`, newest first: the one an earlier `peh serve worker` on this
 * store left, or undefined.
 */
async function openServiceRun(store: EventStore, workspace: string): Promise<RunHandle | undefined> {
  const runs = await store.listRuns();
  for (let i = runs.length - 1; i >= 0; i--) {
    const created = await serviceRun(store, runs[i]!.run_id);
    if (created?.data.workspace !== workspace) continue;
    const handle = await RunHandle.open(store, runs[i]!.run_id);
    if (handle.state.plan.status === "active") return handle;
  }
  return undefined;
}
