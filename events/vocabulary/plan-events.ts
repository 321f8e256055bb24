// Plan and approval-gate events.
import { z } from "zod";
import { eventSchema } from "../envelope-base.js";
import { TaskIdSchema } from "../ids.js";
import { LineageSchema } from "./lineage-events.js";
import { PlanSchema } from "../plan.js";

const version = z.number().int().positive();
/**
 * The rights a task asks for beyond its scope, in normal form (machines/grants.ts): only what it
 * asks (`network: true`, `sandbox: "off"`, writable paths normalized, sorted, each once). Shown
 * at the gate and recorded with the phrase that grants them.
 */
export const GrantsSchema = z.object({
  network: z.literal(true).optional(),
  writable: z.array(z.string().min(1)).optional(),
  sandbox: z.literal("off").optional(),
});
export type Grants = z.infer<typeof GrantsSchema>;

/**
 * A risky task and the phrase it needs; `grants`: what it asks for, so that the approval (and a
 * change's confirmation) records exactly the rights it grants.
 */
export const RiskyTaskSchema = z.object({ task_id: TaskIdSchema, phrase: z.string().min(1), grants: GrantsSchema.optional() });
export type RiskyTask = z.infer<typeof RiskyTaskSchema>;

/**
 * PLAN_CREATED's planner for the worker service's own run (`peh serve worker`): how every command
 * knows that run from the log. Its workers' commands are never run by `peh run`, and it is never
 * another command's default run.
 */
export const SERVICE_PLANNER = "rpc";

export const PlanCreatedSchema = eventSchema(
  "PLAN_CREATED",
  z.object({
    plan: PlanSchema,
    workspace: z.string().min(1),
    planner: z.string().default("file"),
    /** A rerun's or a fork's source (absent: a run planned anew). */
    lineage: LineageSchema.optional(),
  }),
);
export type PlanCreated = z.infer<typeof PlanCreatedSchema>;

export const GateApprovalRequestedSchema = eventSchema(
  "GATE_APPROVAL_REQUESTED",
  z.object({ version, risky_tasks: z.array(RiskyTaskSchema), note: z.string().optional() }),
);
export type GateApprovalRequested = z.infer<typeof GateApprovalRequestedSchema>;

export const GateApprovedSchema = eventSchema(
  "GATE_APPROVED",
  z.object({ version, confirmations: z.array(RiskyTaskSchema) }),
);
export type GateApproved = z.infer<typeof GateApprovedSchema>;

export const GateModifiedSchema = eventSchema(
  "GATE_MODIFIED",
  z.object({ plan: PlanSchema, change: z.string().min(1) }),
);
export type GateModified = z.infer<typeof GateModifiedSchema>;

export const GateClarificationRequestedSchema = eventSchema(
  "GATE_CLARIFICATION_REQUESTED",
  z.object({ version, question: z.string().min(1) }),
);
export type GateClarificationRequested = z.infer<typeof GateClarificationRequestedSchema>;

export const GateRejectedSchema = eventSchema(
  "GATE_REJECTED",
  z.object({ version, reason: z.string().min(1) }),
);
export type GateRejected = z.infer<typeof GateRejectedSchema>;

/**
 * A change while executing: needs an explicit confirmation, never touches a task that ran.
 * `settled`: the tasks whose dependents may proceed when the change is made, so that a task the
 * change adds or re-wires counts the dependencies it no longer has to wait for.
 * `confirmations`: the phrases of risky tasks the change adds, or whose grants it adds to or
 * widens (the gate's rule, mid-run), each with the grants it confirms.
 */
export const PlanChangedSchema = eventSchema(
  "PLAN_CHANGED",
  z.object({
    plan: PlanSchema,
    change: z.string().min(1),
    settled: z.array(TaskIdSchema).default([]),
    confirmations: z.array(RiskyTaskSchema).default([]),
  }),
);
export type PlanChanged = z.infer<typeof PlanChangedSchema>;

/**
 * A human ended the run (`peh cancel`): the plan aborts, tasks that have not run are skipped
 * (`aborted`), and the `peh run` that executes it stops its running tasks.
 */
export const RunCancelledSchema = eventSchema("RUN_CANCELLED", z.object({ reason: z.string().min(1) }));
export type RunCancelled = z.infer<typeof RunCancelledSchema>;

export const OutcomeSchema = z.enum(["completed", "failed", "aborted"]);
export type Outcome = z.infer<typeof OutcomeSchema>;

export const ExecutionCompleteSchema = eventSchema(
  "EXECUTION_COMPLETE",
  z.object({
    outcome: OutcomeSchema,
    counts: z.object({
      succeeded: z.number().int().min(0),
      failed: z.number().int().min(0),
      skipped: z.number().int().min(0),
      upstream_failed: z.number().int().min(0),
      /** Tasks a rerun took over from its source (TASK_REUSED); absent when none. */
      reused: z.number().int().min(0).optional(),
    }),
  }),
);
export type ExecutionComplete = z.infer<typeof ExecutionCompleteSchema>;
