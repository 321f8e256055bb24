// Which planner plans: the built-in one, or an external command (`cmd:<command>`).
import { PehError, type PlanFile } from "../../events/index.js";
import { decompose, refine, REFINE_FEEDBACK, type PlanningContext } from "./builtin-planner.js";
import { callPlanner, packetsToPlan } from "./external-planner.js";

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

/** `builtin` or `cmd:<command>`; a file-planned run refines with the built-in planner's edits. */
export function plannerFor(spec: string | undefined, options: { timeoutMs?: number; cwd?: string } = {}): Planner {
  if (spec === undefined || spec === "builtin" || spec === "file") return builtinPlanner;
  if (spec.startsWith("cmd:") && spec.length > 4) return externalPlanner(spec.slice(4), options);
  throw new PehError("USAGE", `unknown planner "${spec}"`, 'use --planner builtin, or --planner "cmd:<command>" for an external planner');
}
