// Validation of large DAGs: every task depends on up to three earlier ones (a deterministic
// pseudo-random choice), so the graph is wide and deep like a big real plan.
import { PlanFileSchema, type PlanFile } from "../events/index.js";
import { resolveRisk } from "../runtime/planning/risk.js";
import { validatePlan } from "../runtime/planning/validate.js";

export function dagPlan(size: number): PlanFile {
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
  return PlanFileSchema.parse({
    objective: "Build every module of the monorepo",
    tasks: Array.from({ length: size }, (_, i) => ({
      id: `m${i}`,
      objective: `Build module m${i} into dist/m${i}`,
      scope: "module",
      scope_path: `packages/m${i}`,
      run: `make -C packages/m${i}`,
      acceptance_tests: [`test -f dist/m${i}/index.js`],
      depends_on: i === 0 ? [] : [...new Set(Array.from({ length: 1 + (next() % 3) }, () => `m${next() % i}`))],
    })),
  });
}

/** Milliseconds to validate `plan` once (risk inference included). */
export function validateMs(plan: PlanFile): number {
  const start = performance.now();
  const problems = validatePlan(resolveRisk(plan), { workspace: "/w" });
  const elapsed = performance.now() - start;
  if (problems.some((p) => p.severity === "error")) throw new Error(`benchmark plan is invalid: ${problems[0]?.message}`);
  return elapsed;
}
