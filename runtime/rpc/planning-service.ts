// The planning service: `decompose {objective, context?}` and `refine {packets, feedback}`, each
// answering TaskPackets (peh's tasks: the contract's packet plus id, depends_on, run …), by the
// built-in planner or the one given with --planner.
import { z } from "zod";
import { PlanTaskSchema } from "../../events/index.js";
import { packetsToPlan, PlannedPacketSchema } from "../planning/external-planner.js";
import { plannerFor } from "../planning/planner.js";
import { resolveRisk } from "../planning/risk.js";
import { method, type Service } from "./protocol.js";

export const DecomposeParamsSchema = z.object({
  objective: z.string().min(1),
  context: z.record(z.string(), z.unknown()).optional(),
});
export const RefineParamsSchema = z.object({
  packets: z.array(PlannedPacketSchema).min(1),
  feedback: z.string().min(1),
});
export const TaskPacketsSchema = z.array(PlanTaskSchema);

export function planningService(options: { planner?: string; cwd?: string; timeoutMs?: number } = {}): Service {
  const planner = plannerFor(options.planner, { cwd: options.cwd, timeoutMs: options.timeoutMs });
  return {
    decompose: method({
      summary: "an objective → the TaskPackets of a plan",
      params: DecomposeParamsSchema,
      result: TaskPacketsSchema,
      handle: async ({ objective, context }) => resolveRisk(await planner.decompose(objective, context ?? {})).tasks,
    }),
    refine: method({
      summary: "TaskPackets and feedback → new TaskPackets",
      params: RefineParamsSchema,
      result: TaskPacketsSchema,
      handle: async ({ packets, feedback }) => {
        const plan = packetsToPlan(packets[0]!.objective, packets, planner.name);
        return resolveRisk((await planner.refine(plan, feedback)).plan).tasks;
      },
    }),
  };
}
