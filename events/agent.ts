// The agent vocabulary: which agent CLI runs a task, with what limits, and what its stream told peh
// (usage, turns, tool calls, its final result, and why it stopped when it did not finish). The
// adapters that read each CLI's stream live in runtime/agents/; this is only what is recorded.
import { z } from "zod";

export const AgentCliSchema = z.enum(["generic", "claude", "codex", "gemini", "opencode"]);
export type AgentCli = z.infer<typeof AgentCliSchema>;

/** Spending limits of a task or of a run: dollars (where the CLI reports cost) and turns. */
export const BudgetSchema = z.strictObject({
  usd: z.number().positive().optional(),
  turns: z.number().int().positive().optional(),
});
export type Budget = z.infer<typeof BudgetSchema>;

/**
 * A task's agent in its object form: the CLI (its stream is parsed), the prompt (else the
 * objective), the model and the turn limit passed to the CLI.
 */
export const AgentSpecSchema = z.strictObject({
  cli: AgentCliSchema.optional(),
  prompt: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  max_turns: z.number().int().positive().optional(),
});
export type AgentSpec = z.infer<typeof AgentSpecSchema>;

export const AgentUsageSchema = z.object({
  input_tokens: z.number().int().min(0).default(0),
  output_tokens: z.number().int().min(0).default(0),
  cached_tokens: z.number().int().min(0).default(0),
  /** Null where the CLI does not report cost (Codex, Gemini). */
  cost_usd: z.number().min(0).nullable().default(null),
});
export type AgentUsage = z.infer<typeof AgentUsageSchema>;

/**
 * Why an agent stopped short, as its stream said: `auth` (not logged in), `rate_limit` (with
 * the reset time when given), `network` (the CLI's own retries), `limit` (turn or budget limit,
 * its own or peh's), `idle` (no output for idle_timeout), `no_result` (the stream ended without
 * its final result), `error` (a final result that is an error).
 */
export const AgentStopSchema = z.object({
  kind: z.enum(["auth", "rate_limit", "network", "limit", "idle", "no_result", "error"]),
  detail: z.string(),
  reset_at: z.string().optional(),
});
export type AgentStop = z.infer<typeof AgentStopSchema>;

/** What one attempt's agent did, folded from its stream; on the task's TASK_VERIFYING / TASK_FAILED. */
export const AgentReportSchema = z.object({
  cli: AgentCliSchema,
  model: z.string().optional(),
  usage: AgentUsageSchema,
  turns: z.number().int().min(0).default(0),
  tool_calls: z.number().int().min(0).default(0),
  files_changed: z.array(z.string()).default([]),
  /** The final result (its text redacted), null when the stream had none. */
  result: z.object({ is_error: z.boolean(), text: z.string() }).nullable().default(null),
  stop: AgentStopSchema.optional(),
});
export type AgentReport = z.infer<typeof AgentReportSchema>;
