// The commands the decider answers: what a human or the runtime asks for. Each carries its actor
// and its time (machines have no clock), and is parsed at the boundary like everything else.
import { z } from "zod";
import {
  AgentReportSchema,
  ActorSchema,
  BootstrapPhaseSchema,
  CheckEvidenceSchema,
  DecisionSchema,
  ErrorInfoSchema,
  FailureClassSchema,
  LineageSchema,
  PlanFileSchema,
  RateLimitSchema,
  RunIdSchema,
  SandboxProfileSchema,
  TaskIdSchema,
  TrustResolutionSchema,
  ViaSchema,
  WorkerIdSchema,
} from "../../events/index.js";
import { WORKSPACE_COMMANDS } from "./workspace-commands.js";

const base = { actor: ActorSchema.default("system"), via: ViaSchema.optional(), at: z.iso.datetime() };
const command = <const T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), ...base, ...shape });

export const CreatePlanSchema = command("CreatePlan", {
  run_id: RunIdSchema,
  plan: PlanFileSchema,
  workspace: z.string().min(1),
  planner: z.string().default("file"),
  /** A rerun's source and the results it takes over (issue 22). */
  lineage: LineageSchema.optional(),
});
export const ApprovePlanSchema = command("ApprovePlan", {
  /** The version the human reviewed: approving a version that was since modified is refused. */
  version: z.number().int().positive(),
  /** Every phrase the human typed; each risky task needs its own. */
  confirmations: z.array(z.string()).default([]),
});
export const ModifyPlanSchema = command("ModifyPlan", { plan: PlanFileSchema, change: z.string().min(1) });
export const RequestClarificationSchema = command("RequestClarification", { question: z.string().min(1) });
export const AnswerClarificationSchema = command("AnswerClarification", { answer: z.string().min(1) });
export const RejectPlanSchema = command("RejectPlan", { reason: z.string().min(1) });
export const ChangePlanSchema = command("ChangePlan", {
  plan: PlanFileSchema,
  change: z.string().min(1),
  /** The phrases typed for risky tasks the change adds or alters. */
  confirmations: z.array(z.string()).default([]),
});

export const StartBootstrapPhaseSchema = command("StartBootstrapPhase", { phase: BootstrapPhaseSchema });
export const CompleteBootstrapPhaseSchema = command("CompleteBootstrapPhase", {
  phase: BootstrapPhaseSchema,
  artifacts: z.record(z.string(), z.unknown()).default({}),
  diagnostics: z.array(z.string()).default([]),
});
export const FailBootstrapPhaseSchema = command("FailBootstrapPhase", {
  phase: BootstrapPhaseSchema,
  error: ErrorInfoSchema,
  diagnostics: z.array(z.string()).default([]),
});

export const ScheduleReadyTasksSchema = command("ScheduleReadyTasks", {});
/** The attempt a result is of: a result of an attempt that is no longer the task's current one is refused. */
const ofAttempt = { attempt: z.number().int().positive().optional() };
/** Many workers: who claims the attempt, and for how long without renewal (WORKER_CLAIMED). */
export const ClaimSchema = z.object({ holder: z.string().min(1), lease_ms: z.number().int().positive() });
export const StartAttemptSchema = command("StartAttempt", { task_id: TaskIdSchema, cwd: z.string().min(1), claim: ClaimSchema.optional() });
export const ResolveTrustSchema = command("ResolveTrust", { worker_id: WorkerIdSchema, resolution: TrustResolutionSchema });
export const MarkWorkerRunningSchema = command("MarkWorkerRunning", {
  worker_id: WorkerIdSchema,
  pid: z.number().int().positive().optional(),
  sandbox: SandboxProfileSchema.optional(),
  /** The missing scope directory peh makes before the attempt runs (recorded before it is made). */
  made: z.string().min(1).optional(),
});
export const RecordExitSchema = command("RecordExit", {
  task_id: TaskIdSchema,
  ...ofAttempt,
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable().default(null),
  timed_out: z.boolean().default(false),
  duration_ms: z.number().min(0).default(0),
  error: ErrorInfoSchema.optional(),
  /** What an agent CLI's stream said: a final result that is an error, or none, fails the run stage. */
  agent: AgentReportSchema.optional(),
});
export const RecordVerificationSchema = command("RecordVerification", {
  task_id: TaskIdSchema,
  ...ofAttempt,
  evidence: z.array(CheckEvidenceSchema),
  duration_ms: z.number().min(0).default(0),
  /** The failing check was stopped by a limit (its timeout, or the attempt's task_timeout). */
  timed_out: z.boolean().default(false),
  /** Why it failed, when more is known than its exit code (the limit it exceeded). */
  error: ErrorInfoSchema.optional(),
  /** An isolated attempt's commit, made by peh once every check passed (DESIGN §11). */
  commit: z.object({ base: z.string().min(1), commit: z.string().min(1) }).optional(),
});
export const ClassifyFailureSchema = command("ClassifyFailure", {
  task_id: TaskIdSchema,
  ...ofAttempt,
  class: FailureClassSchema,
  rule: z.string(),
  evidence: z.string(),
  /** A rate or usage limit, with its reset time when known (counted against the retry budget once). */
  rate_limit: RateLimitSchema.optional(),
});
export const ScheduleRetrySchema = command("ScheduleRetry", {
  task_id: TaskIdSchema,
  delay_ms: z.number().int().min(0),
  due_at: z.iso.datetime(),
});
/**
 * After a classified failure: follow the recovery policy of its class (retry with a wait, or
 * escalate, skip, abort). `jitter` in [0, 1) is drawn by the caller, so that deciding stays pure.
 */
export const RecoverSchema = command("Recover", {
  task_id: TaskIdSchema,
  /** The rule and the line that classified the failure, for the escalation's reason. */
  evidence: z.string().default(""),
  /** A server's Retry-After from the output: the next wait, instead of the policy's delay. */
  retry_after_ms: z.number().int().min(0).optional(),
  jitter: z.number().min(0).max(1).default(0.5),
});
export const EscalateSchema = command("Escalate", {
  task_id: TaskIdSchema,
  class: FailureClassSchema.nullable(),
  reason: z.string().min(1),
  choices: z.array(DecisionSchema).min(1).default(["retry", "skip", "abort"]),
});
export const RequirePermissionSchema = command("RequirePermission", { task_id: TaskIdSchema, detail: z.string().min(1) });
export const RecordDecisionSchema = command("RecordDecision", { task_id: TaskIdSchema, decision: DecisionSchema });
/**
 * `expired`: another worker takes over an attempt whose holder's lease expired (WORKER_LEASE_EXPIRED):
 * only that attempt, only from that holder.
 */
export const InterruptTaskSchema = command("InterruptTask", {
  task_id: TaskIdSchema,
  reason: z.string().min(1),
  expired: z.object({ attempt: z.number().int().positive(), holder: z.string().min(1), by: z.string().min(1) }).optional(),
});
/** A human ends the run (`peh cancel`): it aborts; what has not run is skipped. */
export const CancelRunSchema = command("CancelRun", { reason: z.string().min(1) });
export const FinishSchema = command("Finish", {});

export const CommandSchema = z.discriminatedUnion("type", [
  CreatePlanSchema,
  ApprovePlanSchema,
  ModifyPlanSchema,
  RequestClarificationSchema,
  AnswerClarificationSchema,
  RejectPlanSchema,
  ChangePlanSchema,
  StartBootstrapPhaseSchema,
  CompleteBootstrapPhaseSchema,
  FailBootstrapPhaseSchema,
  ScheduleReadyTasksSchema,
  StartAttemptSchema,
  ResolveTrustSchema,
  MarkWorkerRunningSchema,
  RecordExitSchema,
  RecordVerificationSchema,
  ClassifyFailureSchema,
  ScheduleRetrySchema,
  RecoverSchema,
  EscalateSchema,
  RequirePermissionSchema,
  RecordDecisionSchema,
  InterruptTaskSchema,
  CancelRunSchema,
  FinishSchema,
  ...WORKSPACE_COMMANDS,
]);
export type Command = z.infer<typeof CommandSchema>;
export type CommandInput = z.input<typeof CommandSchema>;
export type CommandType = Command["type"];
