// The bootstrap service: `execute_phase {phase, context?}` runs one phase of DESIGN §4 and says
// how it went: `{phase, success, diagnostics, artifacts}`. Phases only inspect and prepare, so
// calling one again gives the same answer (idempotent); a failing phase is `success: false` with
// the reason in its diagnostics, not a protocol error.
import { resolve } from "node:path";
import { z } from "zod";
import { BootstrapPhaseSchema, isPehError } from "../../events/index.js";
import { runPhase } from "../execution/bootstrap-phases.js";
import { configPath, trustPolicy } from "../execution/trust/trust.js";
import { method, type Service } from "./protocol.js";

export const ExecutePhaseParamsSchema = z.object({
  phase: BootstrapPhaseSchema,
  context: z
    .object({
      workspace: z.string().min(1).optional(),
      store: z.string().min(1).optional(),
      concurrency: z.number().int().positive().optional(),
      trust_roots: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});

export const PhaseResultSchema = z.object({
  phase: BootstrapPhaseSchema,
  success: z.boolean(),
  diagnostics: z.array(z.string()),
  artifacts: z.record(z.string(), z.unknown()),
});

export function bootstrapService(options: { cwd: string; storeDir: string }): Service {
  return {
    execute_phase: method({
      summary: "run one bootstrap phase: {phase, success, diagnostics, artifacts}",
      params: ExecutePhaseParamsSchema,
      result: PhaseResultSchema,
      handle: async ({ phase, context }) => {
        const workspace = resolve(options.cwd, context?.workspace ?? ".");
        const policy = await trustPolicy(context?.trust_roots ?? []);
        try {
          const result = await runPhase(phase, {
            workspace,
            storeDir: context?.store ? resolve(options.cwd, context.store) : options.storeDir,
            configPath: configPath(),
            concurrency: context?.concurrency ?? 1,
            trustRoots: policy.roots,
          });
          return { phase, success: true, diagnostics: result.diagnostics, artifacts: result.artifacts };
        } catch (error) {
          if (!isPehError(error)) throw error;
          return { phase, success: false, diagnostics: [error.message, ...(error.hint ? [error.hint] : [])], artifacts: {} };
        }
      },
    }),
  };
}
