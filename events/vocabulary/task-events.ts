// Task lifecycle events, from ready to a terminal state.
import { z } from "zod";
import { AgentReportSchema } from "../agent.js";
import { eventSchema } from "../envelope-base.js";
import { ErrorInfoSchema } from "../errors.js";
import { TaskIdSchema, WorkerIdSchema } from "../ids.js";

const task = { task_id: TaskIdSchema };
const attempt = z.number().int().positive();

export const TaskReadySchema = eventSchema("TASK_READY", z.object(task));
export type TaskReady = z.infer<typeof TaskReadySchema>;

export const TaskStartedSchema = eventSchema(
  "TASK_STARTED",
  z.object({ ...task, attempt, worker_id: WorkerIdSchema }),
);
export type TaskStarted = z.infer<typeof TaskStartedSchema>;

/** `agent`: what the attempt's agent CLI reported (usage, turns, its final result). */
export const TaskVerifyingSchema = eventSchema("TASK_VERIFYING", z.object({ ...task, attempt, agent: AgentReportSchema.optional() }));
export type TaskVerifying = z.infer<typeof TaskVerifyingSchema>;

/** Evidence that a check ran: the command, its exit code and how long it took. */
export const CheckEvidenceSchema = z.object({
  command: z.string(),
  exit_code: z.number().int().nullable(),
  duration_ms: z.number().min(0),
});
export type CheckEvidence = z.infer<typeof CheckEvidenceSchema>;

export const TaskCompletedSchema = eventSchema(
  "TASK_COMPLETED",
  z.object({
    ...task,
    attempt,
    duration_ms: z.number().min(0).default(0),
    evidence: z.array(CheckEvidenceSchema).default([]),
  }),
);
export type TaskCompleted = z.infer<typeof TaskCompletedSchema>;

export const TaskFailedSchema = eventSchema(
  "TASK_FAILED",
  z.object({
    ...task,
    attempt,
    /** `merge`: the task's commit did not rebase onto the run's branch (isolated work). */
    stage: z.enum(["run", "verify", "merge"]),
    error: ErrorInfoSchema,
    exit_code: z.number().int().nullable().default(null),
    signal: z.string().nullable().default(null),
    timed_out: z.boolean().default(false),
    duration_ms: z.number().min(0).default(0),
    evidence: z.array(CheckEvidenceSchema).default([]),
    /** The files that conflict, when the merge onto the run's branch failed. */
    conflicts: z.array(z.string()).optional(),
    /** What the attempt's agent CLI reported, when the run stage failed. */
    agent: AgentReportSchema.optional(),
  }),
);
export type TaskFailed = z.infer<typeof TaskFailedSchema>;

/**
 * Why a task will not run. `upstream_failed`: a dependency failed and the run was aborted; the
 * others are the human's or the plan's choice.
 */
export const SkipReasonSchema = z.enum(["upstream_failed", "aborted", "plan_changed"]);
export type SkipReason = z.infer<typeof SkipReasonSchema>;

export const TaskSkippedSchema = eventSchema("TASK_SKIPPED", z.object({ ...task, reason: SkipReasonSchema }));
export type TaskSkipped = z.infer<typeof TaskSkippedSchema>;

export const TaskInterruptedSchema = eventSchema(
  "TASK_INTERRUPTED",
  z.object({ ...task, attempt, reason: z.string().min(1) }),
);
export type TaskInterrupted = z.infer<typeof TaskInterruptedSchema>;
