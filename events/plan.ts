// The plan vocabulary: the public TaskPacket, peh's additions, recovery policies and the plan file.
// Schemas only; semantic validation (cycles, unknown deps, escapes) lives with the planner.
import { z } from "zod";
import { AgentSpecSchema, BudgetSchema } from "./agent.js";
import { TaskIdSchema } from "./ids.js";

export const ScopeSchema = z.enum(["workspace", "module", "single_file", "custom"]);
export type Scope = z.infer<typeof ScopeSchema>;

/** A duration's parts, days to milliseconds, each captured. */
export const DURATION_PATTERN = /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/**
 * `250ms`, `5s`, `10m`, `1h`, `2d`, or compound: `1h30m`, `2m30s`, `1d12h` (each unit at most once,
 * the largest first). Validation bounds it (MAX_DURATION in machines/recovery.ts); the schema
 * does not, so that a plan recorded before the bound still reads.
 */
export const DurationSchema = z
  .string()
  .regex(DURATION_PATTERN, "a duration is whole numbers with units, the largest first: 250ms, 5s, 10m, 1h, 2d, 1h30m");
export type Duration = z.infer<typeof DurationSchema>;

export const FailureClassSchema = z.enum([
  "transient",
  "permission",
  "invalid_input",
  "logic_error",
  "unrecoverable",
  "unknown",
  /** The task's commit does not rebase onto the run's branch: another task changed the same lines. */
  "merge_conflict",
  /** An agent hit its turn or budget limit (its own or peh's): retrying would spend as much again. */
  "budget_exceeded",
]);
export type FailureClass = z.infer<typeof FailureClassSchema>;

export const RecoveryActionSchema = z.enum(["retry", "escalate", "skip", "abort"]);
export type RecoveryAction = z.infer<typeof RecoveryActionSchema>;

export const RecoveryPolicySchema = z.strictObject({
  max_retries: z.number().int().min(0).max(100).optional(),
  delays: z.array(DurationSchema).optional(),
  action: RecoveryActionSchema.optional(),
});
export type RecoveryPolicy = z.infer<typeof RecoveryPolicySchema>;

export const RecoverySchema = z.partialRecord(FailureClassSchema, RecoveryPolicySchema);
export type Recovery = z.infer<typeof RecoverySchema>;

export const ClassifyRuleSchema = z.strictObject({ match: z.string().min(1), class: FailureClassSchema });
export type ClassifyRule = z.infer<typeof ClassifyRuleSchema>;

/**
 * How a task's commands run: `sh` (the default: `/bin/sh -e`, stopping at the first failing
 * line), `bash` (`bash --noprofile --norc -eo pipefail`), or a command line in which `{0}` stands
 * for a file holding the script (`sh {0}` for the lenient shell, `python3 {0}`), as GitHub
 * Actions' `shell:` is. Validation checks a template (runtime/execution/process/shell.ts).
 */
export const ShellSchema = z.string().min(1);
export type Shell = z.infer<typeof ShellSchema>;

/**
 * Where an attempt works: `none` (the default) in the workspace itself; `worktree` in a git
 * worktree of its own made from the run's branch `peh/<run>`, committed and merged back by peh
 * (DESIGN §11). Plan-wide, and per task (the task's wins).
 */
export const IsolationSchema = z.enum(["none", "worktree"]);
export type Isolation = z.infer<typeof IsolationSchema>;

/** Environment variables for every process of a task, added to the run's: NAME → value. */
export const EnvSchema = z.record(z.string(), z.string());
export type Env = z.infer<typeof EnvSchema>;

/** The public planning-execution-harness contract's packet, field for field. */
export const TaskPacketSchema = z.object({
  objective: z.string().min(1),
  scope: ScopeSchema,
  scope_path: z.string().nullable().optional(),
  acceptance_tests: z.array(z.string().min(1)),
  commit_policy: z.string().optional(),
  escalation_policy: z.string().optional(),
});
export type TaskPacket = z.infer<typeof TaskPacketSchema>;

/** A task of a peh plan: a TaskPacket plus identity, dependencies, the work and its policies. */
export const PlanTaskSchema = TaskPacketSchema.extend({
  id: TaskIdSchema,
  /** Optional in a plan file when `run` is the check; validation wants one of the two. */
  acceptance_tests: z.array(z.string().min(1)).default([]),
  depends_on: z.array(TaskIdSchema).default([]),
  run: z.string().min(1).optional(),
  /**
   * An agent task: its prompt (the string form), or the agent in its object form (the CLI whose
   * stream peh reads, the prompt, the model, the turn limit).
   */
  agent: z.union([z.string().min(1), AgentSpecSchema]).optional(),
  /** What the task's agent may spend per attempt: passed to the CLI where it has a flag, enforced by peh. */
  budget: BudgetSchema.optional(),
  /** An agent command printing nothing for this long is stopped (its process group) and classified. */
  idle_timeout: DurationSchema.optional(),
  risky: z.boolean().optional(),
  /** Why peh considers the task risky when the plan did not say so (filled in by risk inference). */
  risk_reason: z.string().optional(),
  confirm: z.string().min(1).optional(),
  /** Bounds each process of an attempt: its command, and each acceptance test. */
  timeout: DurationSchema.optional(),
  /** Bounds the attempt's command and all its acceptance tests together. */
  task_timeout: DurationSchema.optional(),
  /** Wins over the plan's `shell`. */
  shell: ShellSchema.optional(),
  /** Added to the plan's `env` (a name in both takes the task's value). */
  env: EnvSchema.optional(),
  recovery: RecoverySchema.optional(),
  classify: z.array(ClassifyRuleSchema).optional(),
  idempotent: z.boolean().default(true),
  /**
   * Where the task's commands start, relative to the workspace root (the default) and inside it;
   * validated like `scope_path`.
   */
  cwd: z.string().min(1).optional(),
  /** Asks for the network inside the sandbox: a grant, so the task is risky. */
  network: z.boolean().optional(),
  /** Asks for more writable paths (inside or outside the workspace): a grant, so the task is risky. */
  writable: z.array(z.string().min(1)).optional(),
  /** `off` asks to run without the sandbox: a grant, so the task is risky. */
  sandbox: z.literal("off").optional(),
  /** `worktree`: each attempt in its own git worktree, one commit per task merged by peh. Wins over the plan's. */
  isolation: IsolationSchema.optional(),
});
export type PlanTask = z.infer<typeof PlanTaskSchema>;
export type PlanTaskInput = z.input<typeof PlanTaskSchema>;

/** What a plan file (YAML or JSON) or a planner holds. */
export const PlanFileSchema = z.object({
  objective: z.string().min(1),
  /** Every task's shell, unless the task names its own. */
  shell: ShellSchema.optional(),
  /** Every task's environment, under the task's own `env`. */
  env: EnvSchema.optional(),
  recovery: RecoverySchema.optional(),
  classify: z.array(ClassifyRuleSchema).optional(),
  /** Every task's isolation, unless the task names its own; `none` when neither does. */
  isolation: IsolationSchema.optional(),
  /** Every agent task's agent settings, under the task's own object form. */
  agent: AgentSpecSchema.optional(),
  /** What the whole run's agents may spend: no attempt starts once it is spent. */
  budget: BudgetSchema.optional(),
  /**
   * The most tasks of the run under way at once, across every peh executing it (`peh run
   * --concurrency` and each `peh worker --concurrency` stay under it too).
   */
  concurrency: z.number().int().positive().optional(),
  tasks: z.array(PlanTaskSchema),
});
export type PlanFile = z.infer<typeof PlanFileSchema>;
export type PlanFileInput = z.input<typeof PlanFileSchema>;

/** A plan as recorded: one version of it. Every modification makes a new version. */
export const PlanSchema = PlanFileSchema.extend({
  version: z.number().int().positive(),
});
export type Plan = z.infer<typeof PlanSchema>;

/** The phrase a human must type to approve a risky task: its `confirm`, else its id. */
export function confirmationPhrase(task: Pick<PlanTask, "id" | "confirm">): string {
  return task.confirm ?? task.id;
}

/** The isolation a task's attempts run under: its own, else the plan's, else `none`. */
export function isolationOf(task: Pick<PlanTask, "isolation">, plan: { isolation?: Isolation | undefined } | null | undefined): Isolation {
  return task.isolation ?? plan?.isolation ?? "none";
}

export const ProblemCodeSchema = z.enum([
  "SYNTAX",
  "SCHEMA",
  "DUPLICATE_ID",
  "UNKNOWN_DEPENDENCY",
  "CYCLE",
  "NO_CHECK",
  "SCOPE_PATH_MISSING",
  "SCOPE_PATH_INVALID",
  "SCOPE_ESCAPE",
  "WRITABLE_INVALID",
  "WRITABLE_IN_SCOPE",
  "CWD_INVALID",
  "GENERIC_CONFIRM",
  "VAGUE_OBJECTIVE",
  "TASK_COUNT",
  "ISOLATION_NEEDS_GIT",
]);
export type ProblemCode = z.infer<typeof ProblemCodeSchema>;

/** One thing wrong with a plan: where, what, and how to fix it. Validation returns all of them. */
export const ProblemSchema = z.object({
  severity: z.enum(["error", "warning"]),
  code: ProblemCodeSchema,
  task_id: z.string().optional(),
  /** Where in the plan file: `tasks[2].depends_on[0]`, and the line when known. */
  path: z.string().optional(),
  line: z.number().int().positive().optional(),
  message: z.string(),
  fix: z.string(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** An agent task's own prompt: the string form of `agent`, or its object form's `prompt`. */
export function agentPromptOf(task: Pick<PlanTask, "agent">): string | undefined {
  return typeof task.agent === "string" ? task.agent : task.agent?.prompt;
}
