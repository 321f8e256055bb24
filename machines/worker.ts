// Pure. One worker per task attempt, in the public contract's states. Trust is never skipped:
// every worker passes trust_required and leaves it only by a WORKER_TRUST_RESOLVED that says how.
import { assign, setup } from "xstate";
import type { PehEvent, SandboxProfile, TaskId, TrustResolution, WorkerId } from "../events/index.js";
import type { MemoSpec } from "./memo/lite.js";

export interface WorkerContext {
  worker_id: WorkerId;
  task_id: TaskId;
  attempt: number;
  cwd: string;
  trust: TrustResolution | null;
  /** The profile its processes ran under (WORKER_RUNNING); absent before it runs, and in older logs. */
  sandbox?: SandboxProfile;
  /** Many workers: the worker process that claimed this attempt (WORKER_CLAIMED); absent under `peh run`. */
  holder?: string;
  /** How long its claim lasts without renewal (ms). */
  lease_ms?: number;
}

export interface WorkerInput {
  worker_id: WorkerId;
  task_id: TaskId;
  attempt: number;
  cwd: string;
}

/**
 * Every live state may fail; a claimed attempt may also end because its holder's lease expired
 * (another worker took it over), and only its holder's claim can expire.
 */
const fail = {
  WORKER_FAILED: { target: "failed", actions: "releaseWorker" },
  WORKER_LEASE_EXPIRED: { guard: "isHolder", target: "failed", actions: "releaseWorker" },
} as const;

export const workerMachine = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as PehEvent,
    input: {} as WorkerInput,
  },
  guards: {
    isUnclaimed: ({ context }) => context.holder === undefined,
    isHolder: ({ context, event }) => event.type === "WORKER_LEASE_EXPIRED" && context.holder !== undefined && event.data.holder === context.holder,
  },
  actions: {
    recordClaim: assign(({ context, event }) => (event.type === "WORKER_CLAIMED" ? { ...context, holder: event.data.holder, lease_ms: event.data.lease_ms } : context)),
    recordTrust: assign({
      trust: ({ context, event }) => (event.type === "WORKER_TRUST_RESOLVED" ? event.data.resolution : context.trust),
    }),
    recordSandbox: assign({
      sandbox: ({ context, event }) => (event.type === "WORKER_RUNNING" ? event.data.sandbox : context.sandbox),
    }),
    /** Named effects, supplied by the runtime. */
    checkTrust: () => {},
    sendPrompt: () => {},
    awaitExit: () => {},
    releaseWorker: () => {},
  },
}).createMachine({
  id: "worker",
  initial: "spawning",
  // Field by field: a spread of the input cost 1.5 µs per worker when a long log is folded.
  context: ({ input }) => ({ worker_id: input.worker_id, task_id: input.task_id, attempt: input.attempt, cwd: input.cwd, trust: null }),
  states: {
    spawning: {
      on: {
        // The claim comes with the start, before anything of the attempt: claimed once.
        WORKER_CLAIMED: { guard: "isUnclaimed", actions: "recordClaim" },
        WORKER_TRUST_REQUIRED: { target: "trust_required", actions: "checkTrust" },
        ...fail,
      },
    },
    trust_required: {
      on: { WORKER_TRUST_RESOLVED: { target: "trust_resolved", actions: "recordTrust" }, ...fail },
    },
    trust_resolved: {
      on: { WORKER_READY: { target: "ready_for_prompt", actions: "sendPrompt" }, ...fail },
    },
    ready_for_prompt: {
      on: { WORKER_RUNNING: { target: "running", actions: ["recordSandbox", "awaitExit"] }, ...fail },
    },
    running: {
      on: { WORKER_FINISHED: { target: "finished", actions: "releaseWorker" }, ...fail },
    },
    finished: { type: "final" },
    failed: { type: "final" },
  },
});

export type WorkerMachine = typeof workerMachine;

/**
 * Only the claim's guards read the context, and `recordTrust`, `recordSandbox` and `recordClaim`
 * the event: claims (rare, one holder each) are never memoized.
 */
export const workerMemo: MemoSpec<WorkerContext, PehEvent> = {
  machine: workerMachine,
  key: (_context, event) =>
    event.type === "WORKER_CLAIMED" || event.type === "WORKER_LEASE_EXPIRED" ? undefined
    : event.type === "WORKER_TRUST_RESOLVED" ? `${event.type}|${JSON.stringify(event.data.resolution)}`
    : event.type === "WORKER_RUNNING" && event.data.sandbox ? `${event.type}|${JSON.stringify(event.data.sandbox)}`
    : event.type,
};
