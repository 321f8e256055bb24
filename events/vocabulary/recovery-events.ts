// Failure classification, recovery and human decisions.
import { z } from "zod";
import { eventSchema } from "../envelope-base.js";
import { TaskIdSchema } from "../ids.js";
import { FailureClassSchema } from "../plan.js";

const task = { task_id: TaskIdSchema };
const attempt = z.number().int().positive();

export const FailureClassifiedSchema = eventSchema(
  "FAILURE_CLASSIFIED",
  z.object({ ...task, attempt, class: FailureClassSchema, rule: z.string(), evidence: z.string() }),
);
export type FailureClassified = z.infer<typeof FailureClassifiedSchema>;

/** A retry scheduled: `due_at` is stamped so a resumed run waits only what remains. */
export const RecoveryAttemptedSchema = eventSchema(
  "RECOVERY_ATTEMPTED",
  z.object({ ...task, next_attempt: attempt, delay_ms: z.number().int().min(0), due_at: z.iso.datetime() }),
);
export type RecoveryAttempted = z.infer<typeof RecoveryAttemptedSchema>;

/**
 * A human made a scheduled retry due now (`peh decide … retry` while it waits for its time, a
 * server's 24 h Retry-After say): the wait that was due at `waived_due_at` is dropped.
 */
export const RecoveryExpeditedSchema = eventSchema(
  "RECOVERY_EXPEDITED",
  z.object({ ...task, next_attempt: attempt, waived_due_at: z.iso.datetime() }),
);
export type RecoveryExpedited = z.infer<typeof RecoveryExpeditedSchema>;

export const RecoverySucceededSchema = eventSchema("RECOVERY_SUCCEEDED", z.object({ ...task, attempt }));
export type RecoverySucceeded = z.infer<typeof RecoverySucceededSchema>;

export const DecisionSchema = z.enum(["retry", "skip", "abort"]);
export type Decision = z.infer<typeof DecisionSchema>;

export const RecoveryEscalationSchema = eventSchema(
  "RECOVERY_ESCALATION",
  z.object({
    ...task,
    class: FailureClassSchema.nullable(),
    reason: z.string().min(1),
    choices: z.array(DecisionSchema).min(1),
  }),
);
export type RecoveryEscalation = z.infer<typeof RecoveryEscalationSchema>;

export const PermissionRequiredSchema = eventSchema(
  "PERMISSION_REQUIRED",
  z.object({ ...task, detail: z.string().min(1) }),
);
export type PermissionRequired = z.infer<typeof PermissionRequiredSchema>;

export const DecisionRecordedSchema = eventSchema(
  "DECISION_RECORDED",
  z.object({ ...task, decision: DecisionSchema }),
);
export type DecisionRecorded = z.infer<typeof DecisionRecordedSchema>;
