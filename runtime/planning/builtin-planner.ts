// Pure. The built-in planner: turns an objective into 3 to 7 concrete packets with dependencies
// and at least one acceptance test each, deterministically (same objective and context, same
// plan), from a template chosen by what the objective asks for. It knows nothing of the code
// base beyond the test command the runtime detected; its packets are `agent` tasks whose checks
// are shell commands, run from the workspace root; a step that only writes notes is scoped to them. `refine` applies feedback it can parse: skip, move, add.
import { PehError, PlanFileSchema, type PlanFile, type PlanTaskInput } from "../../events/index.js";
import { addTask, moveTask, skipTask, slugify } from "./edit.js";

export interface PlanningContext {
  /** The project's test command, if the runtime found one (`npm test`, `make test` …). */
  test_command?: string;
  /** The workspace is in a git repository: agent tasks then work in worktrees of their own. */
  git?: boolean;
}

/** A check that fails on purpose, so the plan view shows that a human must supply a real one. */
const NO_TEST_COMMAND = `sh -c 'echo "peh found no test command in this workspace: replace this check" >&2; exit 1'`;

interface Step {
  id: string;
  objective: string;
  /** File the step must leave behind (its check), relative to docs/peh/<slug>/. */
  note?: string;
  /** The step writes nothing but its note: its scope is docs/peh/<slug>/, not the workspace. */
  notesOnly?: boolean;
  tests?: boolean;
  /** A step that is risky in its own words: why, and the phrase that approves it. */
  risk?: { reason: string; confirm: string };
  after: string[];
}

/**
 * What the objective is about, without the verb a phrase puts back: "release saas-backend 2.4.1
 * to production" → "saas-backend 2.4.1".
 */
function subject(objective: string, verbs: RegExp): string {
  const rest = objective.replace(verbs, "").replace(/\s+(?:to|in|on|into)\s+(?:the\s+)?prod(?:uction)?\b.*$/i, "").trim();
  return rest === "" ? objective : rest;
}

function template(objective: string): Step[] {
  const o = objective;
  if (/\b(release|deploy|ship|publish|roll ?out)\b/i.test(o)) {
    return [
      { id: "build", objective: `Build the artifacts for: ${o}`, tests: false, note: "build.md", after: [] },
      { id: "test", objective: "Run the full test suite against the build", tests: true, after: ["build"] },
      { id: "deploy-staging", objective: "Deploy the build to staging", note: "staging.md", after: ["test"] },
      { id: "smoke-staging", objective: "Smoke-test staging and record the results", note: "smoke.md", notesOnly: true, after: ["deploy-staging"] },
      {
        id: "deploy-production",
        objective: `Deploy to production: ${o}`,
        note: "production.md",
        risk: { reason: "deploys to production", confirm: `deploy ${subject(o, /^\s*(?:release|deploy|ship|publish|roll ?out)\s+/i)} to production` },
        after: ["smoke-staging"],
      },
    ];
  }
  if (/\b(migrat\w*|schema|database)\b/i.test(o)) {
    return [
      { id: "backup", objective: "Back up the data the migration touches and record where", note: "backup.md", after: [] },
      { id: "write-migration", objective: `Write the migration for: ${o}`, tests: true, after: [] },
      // Worded so that only the step that changes the real data reads as a migration to run.
      { id: "dry-run", objective: "Try the migration on a copy of the data and record the result", note: "dry-run.md", after: ["backup", "write-migration"] },
      {
        id: "migrate",
        objective: "Run the database migration on the real data",
        note: "migrate.md",
        risk: { reason: "runs the database migration on the real data", confirm: `migrate ${subject(o, /^\s*(?:migrate|run the (?:database )?migrations? (?:for|of)|migration (?:for|of))\s+/i)}` },
        after: ["dry-run"],
      },
      { id: "verify", objective: "Verify the migrated data and the application against it", tests: true, after: ["migrate"] },
    ];
  }
  if (/\b(fix|bug|crash\w*|broken|regression|error)\b/i.test(o)) {
    return [
      { id: "reproduce", objective: `Write a failing test that reproduces: ${o}`, note: "reproduce.md", after: [] },
      { id: "fix", objective: `Make the reproducing test pass: ${o}`, tests: true, after: ["reproduce"] },
      { id: "verify", objective: "Run the full test suite to check nothing else broke", tests: true, after: ["fix"] },
      { id: "document", objective: "Describe the cause and the fix in the change notes", note: "changes.md", after: ["fix"] },
    ];
  }
  if (/\b(audit|review|inspect|assess|scan)\b/i.test(o)) {
    return [
      { id: "inventory", objective: `List everything in scope of: ${o}`, note: "inventory.md", notesOnly: true, after: [] },
      { id: "check", objective: "Check each item of the inventory and record the findings", note: "findings.md", notesOnly: true, after: ["inventory"] },
      { id: "report", objective: "Write the report: findings, severity, recommended actions", note: "report.md", notesOnly: true, after: ["check"] },
    ];
  }
  return [
    { id: "design", objective: `Write down the approach for: ${o}`, note: "design.md", notesOnly: true, after: [] },
    { id: "tests", objective: `Add tests that specify: ${o}`, tests: true, after: ["design"] },
    { id: "implement", objective: `Implement: ${o}`, tests: true, after: ["tests"] },
    { id: "verify", objective: "Run the full test suite and review the change as a whole", tests: true, after: ["implement"] },
    { id: "document", objective: `Document the change for its users: ${o}`, note: "docs.md", after: ["implement"] },
  ];
}

export function decompose(objective: string, context: PlanningContext = {}): PlanFile {
  const text = objective.trim();
  if (text.length === 0) throw new PehError("USAGE", "the objective is empty", 'say what to achieve, e.g. peh plan "add dark mode to the dashboard"');
  const slug = slugify(text) || "plan";
  const test = context.test_command ?? NO_TEST_COMMAND;
  const tasks: PlanTaskInput[] = template(text).map((step) => ({
    id: step.id,
    objective: step.objective,
    // A step that only writes its note may change only docs/peh/<slug>/ (made when it first
    // runs); its check still names the note from the workspace root, where every command starts.
    ...(step.notesOnly ? { scope: "module" as const, scope_path: `docs/peh/${slug}` } : { scope: "workspace" as const }),
    agent: `${step.objective}\n\nOverall objective: ${text}`,
    depends_on: step.after,
    acceptance_tests: [
      ...(step.note ? [`test -s docs/peh/${slug}/${step.note}`] : []),
      ...(step.tests ? [test] : []),
    ],
    // The risky step says why and names what its phrase approves; the others are judged by
    // their own words (risk.ts), not by the overall objective they quote for context.
    ...(step.risk ? { risky: true, risk_reason: step.risk.reason, confirm: step.risk.confirm } : {}),
    idempotent: !step.risk,
  }));
  // Every task is an agent's: in a git repository each works in its own worktree (DESIGN §11).
  return PlanFileSchema.parse({ objective: text, ...(context.git ? { isolation: "worktree" } : {}), tasks });
}

export interface Refined {
  plan: PlanFile;
  /** What was applied, one line each. */
  applied: string[];
  /** Parts of the feedback that could not be applied, with why. */
  ignored: string[];
}

export const REFINE_FEEDBACK = 'feedback the built-in planner understands: "skip ID", "move ID before|after ID", "add OBJECTIVE [after ID]", separated by ";"';

/**
 * Applies feedback clause by clause: the edits it understands, and (issue 22) the clauses it does
 * not as reviewer guidance added to the prompt of every agent task (a plan without agent tasks
 * has no prompt to carry it: those clauses are not applied). Throws if none of it could be applied.
 */
export function refine(plan: PlanFile, feedback: string): Refined {
  const applied: string[] = [];
  const ignored: string[] = [];
  const guidance: string[] = [];
  let current = plan;
  for (const clause of feedback.split(/[;\n]+/).map((c) => c.trim()).filter(Boolean)) {
    try {
      const edit = applyClause(current, clause);
      if (!edit) {
        guidance.push(clause);
        continue;
      }
      current = edit.plan;
      applied.push(edit.change);
    } catch (error) {
      if (!(error instanceof PehError)) throw error;
      ignored.push(`"${clause}": ${error.message}`);
    }
  }
  if (guidance.length > 0) {
    const guided = withGuidance(current, guidance);
    if (guided) {
      current = guided.plan;
      applied.push(guided.change);
    } else {
      ignored.push(...guidance.map((clause) => `"${clause}": not understood (and the plan has no agent task whose prompt could take it as guidance)`));
    }
  }
  if (applied.length === 0) {
    throw new PehError("USAGE", `cannot apply the feedback: ${ignored.join("; ")}`, REFINE_FEEDBACK);
  }
  return { plan: current, applied, ignored };
}

/** The free-form feedback as reviewer guidance at the end of every agent task's prompt, or undefined without one. */
function withGuidance(plan: PlanFile, guidance: readonly string[]): { plan: PlanFile; change: string } | undefined {
  const agents = plan.tasks.filter((task) => task.agent !== undefined);
  if (agents.length === 0) return undefined;
  const text = guidance.join("; ");
  const tasks = plan.tasks.map((task) => (task.agent === undefined ? task : { ...task, agent: `${task.agent}\n\nReviewer guidance: ${text}` }));
  return {
    plan: { ...plan, tasks },
    change: `reviewer guidance "${text}" added to the prompts of ${agents.length === 1 ? "agent task" : `${agents.length} agent tasks`} ${agents.map((task) => task.id).join(", ")}`,
  };
}

function applyClause(plan: PlanFile, clause: string) {
  let match = /^(?:skip|remove|drop)\s+(\S+)$/i.exec(clause);
  if (match) return skipTask(plan, match[1]!);
  match = /^move\s+(\S+)\s+(before|after)\s+(\S+)$/i.exec(clause);
  if (match) return moveTask(plan, match[1]!, match[2]!.toLowerCase() as "before" | "after", match[3]!);
  match = /^add\s+(.+?)(?:\s+after\s+(\S+))?$/i.exec(clause);
  if (match) return addTask(plan, match[1]!, match[2]);
  return undefined;
}
