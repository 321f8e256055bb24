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

/**
 * Milliseconds for the least any validation of `plan` must do with its dependencies: a table of
 * the task ids, and a look-up of every dependency in it. Beside validation, its ratio between
 * sizes is this machine's floor for hash look-ups (CPU caches hold a 10k-entry table, not a 100k one).
 */
export function lookupFloorMs(plan: PlanFile): number {
  const start = performance.now();
  const position = new Map<string, number>();
  plan.tasks.forEach((task, i) => position.set(task.id, i));
  let found = 0;
  for (const task of plan.tasks) for (const dependency of task.depends_on) if (position.has(dependency)) found++;
  const elapsed = performance.now() - start;
  if (found === 0 && plan.tasks.length > 1) throw new Error("benchmark plan has no dependencies");
  return elapsed;
}
