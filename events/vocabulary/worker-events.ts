// Worker lifecycle events: one worker per task attempt (the public contract's states).
import { z } from "zod";
import { eventSchema } from "../envelope-base.js";
import { ErrorInfoSchema } from "../errors.js";
import { TaskIdSchema, WorkerIdSchema } from "../ids.js";
import { SandboxProfileSchema } from "../sandbox.js";

const worker = { worker_id: WorkerIdSchema, task_id: TaskIdSchema };

export const WorkerSpawningSchema = eventSchema(
  "WORKER_SPAWNING",
  z.object({ ...worker, attempt: z.number().int().positive(), cwd: z.string().min(1) }),
);
export type WorkerSpawning = z.infer<typeof WorkerSpawningSchema>;

export const WorkerTrustRequiredSchema = eventSchema(
  "WORKER_TRUST_REQUIRED",
  z.object({ ...worker, cwd: z.string().min(1) }),
);
export type WorkerTrustRequired = z.infer<typeof WorkerTrustRequiredSchema>;

/** How trust was resolved: by an allowlisted root (which one) or by a named human. */
export const TrustResolutionSchema = z.discriminatedUnion("source", [
  z.object({ source: z.literal("allowlist"), root: z.string().min(1) }),
  z.object({ source: z.literal("manual"), by: z.string().min(1) }),
]);
export type TrustResolution = z.infer<typeof TrustResolutionSchema>;

export const WorkerTrustResolvedSchema = eventSchema(
  "WORKER_TRUST_RESOLVED",
  z.object({ ...worker, resolution: TrustResolutionSchema }),
);
export type WorkerTrustResolved = z.infer<typeof WorkerTrustResolvedSchema>;

export const WorkerReadySchema = eventSchema("WORKER_READY", z.object(worker));
export type WorkerReady = z.infer<typeof WorkerReadySchema>;

export const WorkerRunningSchema = eventSchema(
  "WORKER_RUNNING",
  z.object({
    ...worker,
    pid: z.number().int().positive().optional(),
    /** What the attempt's processes ran under (absent in logs older than the sandbox). */
    sandbox: SandboxProfileSchema.optional(),
    /** The scope directory (its scope_path) that did not exist and that peh made, empty, before the attempt ran. */
    made: z.string().min(1).optional(),
  }),
);
export type WorkerRunning = z.infer<typeof WorkerRunningSchema>;

export const WorkerFinishedSchema = eventSchema(
  "WORKER_FINISHED",
  z.object({ ...worker, exit_code: z.number().int() }),
);
export type WorkerFinished = z.infer<typeof WorkerFinishedSchema>;

export const WorkerFailedSchema = eventSchema(
  "WORKER_FAILED",
  z.object({
    ...worker,
    error: ErrorInfoSchema,
    exit_code: z.number().int().nullable().default(null),
    signal: z.string().nullable().default(null),
  }),
);
export type WorkerFailed = z.infer<typeof WorkerFailedSchema>;

/**
 * Many workers (`peh worker` on a shared store): the attempt is claimed by the worker process
 * that started it (`holder`: pid, host and start time). The claim is this append at the
 * expected version; while the attempt runs its holder renews a lease of `lease_ms` on the store's
 * clock. Appended with TASK_STARTED and WORKER_SPAWNING, in the same batch.
 */
export const WorkerClaimedSchema = eventSchema(
  "WORKER_CLAIMED",
  z.object({ ...worker, attempt: z.number().int().positive(), holder: z.string().min(1), lease_ms: z.number().int().positive() }),
);
export type WorkerClaimed = z.infer<typeof WorkerClaimedSchema>;

/**
 * The holder of the attempt stopped renewing its lease (it died, stalled or lost the store) and
 * another worker (`by`) took the attempt over: it ends here, and the task is interrupted in the
 * same batch. Whatever the old holder reports later is refused (its worker is over).
 */
export const WorkerLeaseExpiredSchema = eventSchema(
  "WORKER_LEASE_EXPIRED",
  z.object({ ...worker, holder: z.string().min(1), by: z.string().min(1) }),
);
export type WorkerLeaseExpired = z.infer<typeof WorkerLeaseExpiredSchema>;
