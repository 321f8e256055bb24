// Which planner plans: the built-in one, or an external command (`cmd:<command>`).
import { PehError, type PlanFile } from "../../events/index.js";
import { decompose, refine, REFINE_FEEDBACK, type PlanningContext } from "./builtin-planner.js";
import { callPlanner, packetsToPlan } from "./external-planner.js";
import { agentPlannerCalls } from "../agents/planner.js";

/** A new plan from feedback, with what was applied. */
export interface Refinement {
  plan: PlanFile;
  /** The change note recorded in GATE_MODIFIED. */
  change: string;
  /** Clause by clause, where the planner can say: what it applied, and what not (with why). */
  applied?: string[];
  not_applied?: string[];
  /** What feedback the planner understands, when some of it was not applied. */
  hint?: string;
}

export interface Planner {
  /** As recorded in PLAN_CREATED: `builtin`, `cmd:<command>`, or `file`. */
  name: string;
  decompose(objective: string, context: PlanningContext): Promise<PlanFile>;
  refine(plan: PlanFile, feedback: string): Promise<Refinement>;
}

export const builtinPlanner: Planner = {
  name: "builtin",
  decompose: async (objective, context) => decompose(objective, context),
  refine: async (plan, feedback) => {
    const refined = refine(plan, feedback);
    const ignored = refined.ignored.length > 0 ? ` (not applied: ${refined.ignored.join("; ")})` : "";
    return {
      plan: refined.plan,
      change: `refine: ${refined.applied.join(", ")}${ignored}`,
      applied: refined.applied,
      not_applied: refined.ignored,
      ...(refined.ignored.length > 0 ? { hint: REFINE_FEEDBACK } : {}),
    };
  },
};

export function externalPlanner(command: string, options: { timeoutMs?: number; cwd?: string } = {}): Planner {
  const call = (method: string, params: unknown) => callPlanner({ command, ...options }, method, params);
  return {
    name: `cmd:${command}`,
    decompose: async (objective, context) => packetsToPlan(objective, await call("decompose", { objective, context }), command),
    refine: async (plan, feedback) => ({
      plan: packetsToPlan(plan.objective, await call("refine", { packets: plan.tasks, feedback }), command),
      change: `refine: ${feedback}`,
    }),
  };
}

/**
 * An agent CLI as the planner: `claude`, `codex`, `gemini`, `opencode`, started with
 * $PEH_PLANNER_COMMAND (else $PEH_AGENT_COMMAND, else the CLI's own name) and its adapter's arguments.
 */
export function agentPlanner(cli: "claude" | "codex" | "gemini" | "opencode", options: { timeoutMs?: number; cwd?: string } = {}): Planner {
  const command = process.env.PEH_PLANNER_COMMAND || process.env.PEH_AGENT_COMMAND || undefined;
  const calls = agentPlannerCalls({ cli, ...options, ...(command ? { command } : {}) });
  return {
    name: cli,
    decompose: (objective, context) => calls.decompose(objective, context.test_command),
    refine: async (plan, feedback) => ({ plan: await calls.refine(plan, feedback), change: `refine: ${feedback}` }),
  };
}

const AGENT_PLANNERS = ["claude", "codex", "gemini", "opencode"] as const;

/** `builtin` or `cmd:<command>`; a file-planned run refines with the built-in planner's edits. */
export function plannerFor(spec: string | undefined, options: { timeoutMs?: number; cwd?: string } = {}): Planner {
  if (spec === undefined || spec === "builtin" || spec === "file") return builtinPlanner;
  const agent = AGENT_PLANNERS.find((cli) => cli === spec);
  if (agent) return agentPlanner(agent, options);
  if (spec.startsWith("cmd:") && spec.length > 4) return externalPlanner(spec.slice(4), options);
  throw new PehError("USAGE", `unknown planner "${spec}"`, 'use --planner builtin, claude, codex, gemini or opencode, or --planner "cmd:<command>" for an external planner');
}
