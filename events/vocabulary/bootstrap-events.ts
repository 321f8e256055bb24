// Bootstrap phase events, in the order of DESIGN §4.
import { z } from "zod";
import { eventSchema } from "../envelope-base.js";
import { ErrorInfoSchema } from "../errors.js";

export const BootstrapPhaseSchema = z.enum([
  "cli_entry",
  "system_prompt_fastpath",
  "mcp_fastpath",
  "daemon_worker_fastpath",
  "main_runtime",
]);
export type BootstrapPhase = z.infer<typeof BootstrapPhaseSchema>;
export const BOOTSTRAP_PHASES = BootstrapPhaseSchema.options;

export const BootstrapPhaseStartedSchema = eventSchema(
  "BOOTSTRAP_PHASE_STARTED",
  z.object({ phase: BootstrapPhaseSchema }),
);
export type BootstrapPhaseStarted = z.infer<typeof BootstrapPhaseStartedSchema>;

export const BootstrapPhaseCompletedSchema = eventSchema(
  "BOOTSTRAP_PHASE_COMPLETED",
  z.object({
    phase: BootstrapPhaseSchema,
    artifacts: z.record(z.string(), z.unknown()).default({}),
    diagnostics: z.array(z.string()).default([]),
  }),
);
export type BootstrapPhaseCompleted = z.infer<typeof BootstrapPhaseCompletedSchema>;

export const BootstrapPhaseFailedSchema = eventSchema(
  "BOOTSTRAP_PHASE_FAILED",
  z.object({ phase: BootstrapPhaseSchema, error: ErrorInfoSchema, diagnostics: z.array(z.string()).default([]) }),
);
export type BootstrapPhaseFailed = z.infer<typeof BootstrapPhaseFailedSchema>;
