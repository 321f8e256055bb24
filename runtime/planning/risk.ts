// Pure. Which tasks are risky: marked by the plan, or inferred from destructive patterns in their
// command or objective. A risky task needs its confirmation phrase typed at approval.
import type { PlanFile, PlanTask } from "../../events/index.js";

interface Pattern {
  name: string;
  test: RegExp;
}

/** Destructive or irreversible actions (DESIGN §3). Matched against `run`, `agent` and objective. */
export const RISK_PATTERNS: readonly Pattern[] = [
  { name: "recursive delete (rm -rf)", test: /\brm\s+(-[a-zA-Z]*[rR][a-zA-Z]*[fF]|-[a-zA-Z]*[fF][a-zA-Z]*[rR]|--recursive\s+--force|--force\s+--recursive)\b/ },
  { name: "SQL DROP/TRUNCATE/DELETE FROM", test: /\b(drop\s+(table|database|schema|index)|truncate\s+(table\s+)?\w+|delete\s+from)\b/i },
  { name: "force push (git push --force)", test: /\bgit\s+push\b[^\n;&|]*\s(--force\b|--force-with-lease\b|-f\b)/ },
  { name: "terraform destroy/apply", test: /\bterraform\s+(destroy|apply)\b/ },
  { name: "kubectl delete", test: /\bkubectl\s+delete\b/ },
  { name: "helm uninstall", test: /\bhelm\s+(uninstall|delete)\b/ },
  { name: "deploy, promote or release to production", test: /\b(deploy|promote|release|rollout|ship)\w*\b[^\n;]*\bprod(uction)?\b/i },
  { name: "database migration", test: /\b(db:migrate|migrate\s+(deploy|up|apply)|prisma\s+migrate|alembic\s+upgrade|flyway\s+migrate|knex\s+migrate|rails\s+db:migrate|manage\.py\s+migrate|database\s+migration|run\s+(the\s+)?migrations?)\b/i },
  { name: "disk-level write (dd, mkfs)", test: /\b(dd\s+[^\n]*of=\/dev\/|mkfs(\.\w+)?\s)/ },
];

/** All patterns at once: most texts match none, and one scan settles that (big plans validate fast). */
const ANY_RISK = new RegExp(RISK_PATTERNS.map((pattern) => `(?:${pattern.test.source})`).join("|"), "i");

/** Why a task looks risky, or undefined. Only inference: an explicit `risky` flag is the plan's say. */
export function inferRisk(task: Pick<PlanTask, "run" | "agent" | "objective">): string | undefined {
  // Field by field, with no array of them: this runs for every task of plans of 100k tasks.
  return riskIn(task.run) ?? riskIn(task.agent) ?? riskIn(task.objective);
}

function riskIn(text: string | undefined): string | undefined {
  if (text === undefined || !ANY_RISK.test(text)) return undefined;
  const hit = RISK_PATTERNS.find((pattern) => pattern.test.test(text));
  return hit && `matches ${hit.name}`;
}

/**
 * The plan as it will be recorded: every risky task marked `risky: true` (explicit or inferred,
 * with the reason); the others as the plan had them. `risky: false` in the plan file does not
 * override an inferred risk: a plan cannot talk its way past the gate.
 */
export function resolveRisk(plan: PlanFile): PlanFile {
  return {
    ...plan,
    // Tasks that stay as they are are not copied: big plans validate within budget (and V8
    // reads fields of spread copies much more slowly, measured 25x here).
    tasks: plan.tasks.map((task) => {
      if (task.risky === true) return task;
      const inferred = inferRisk(task);
      return inferred === undefined ? task : { ...task, risky: true, risk_reason: inferred };
    }),
  };
}
