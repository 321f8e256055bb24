// Renders a plan for review: numbered tasks with their dependencies, ⚠ RISKY marks with the
// phrase each needs, the problems found, and the command to type next.
import { clockTime } from "../../projections/log-view.js";
import type { Plan, PlanFile, Problem } from "../../events/index.js";
import { confirmationPhrase } from "../../events/index.js";
import type { GateEntry } from "../../projections/gate-history.js";
import { redactorFor } from "../../runtime/execution/redact.js";
import { DEFAULT_SHELL } from "../../runtime/execution/shell.js";
import { paint, type Io } from "../output.js";

export function renderPlan(io: Io, plan: PlanFile | Plan, options: { states?: Map<string, string> } = {}): string[] {
  const p = paint(io);
  const number = new Map(plan.tasks.map((task, i) => [task.id as string, i + 1]));
  const total = plan.tasks.length;
  const lines = [`${p.bold("Objective:")} ${plan.objective}`];
  // How every task runs, where it is not the default: reviewers approve this too.
  const planShell = plan.shell ?? DEFAULT_SHELL;
  if (planShell !== DEFAULT_SHELL) lines.push(p.dim(`Shell: ${planShell}`));
  if (plan.env) lines.push(p.dim(`Env: ${envList(plan.env)}`));
  lines.push("");
  plan.tasks.forEach((task, i) => {
    const deps = task.depends_on.map((id) => `Task ${number.get(id) ?? `? ${id}`}`).join(", ");
    const state = options.states?.get(task.id);
    lines.push(`  Task ${i + 1}/${total}: ${p.bold(task.id)}${deps ? ` (depends on ${deps})` : ""}${state ? p.dim(` [${state}]`) : ""}`);
    lines.push(`      ${task.objective}`);
    if (task.run) lines.push(p.dim(`      run: ${task.run}`));
    if (task.agent && !task.run) lines.push(p.dim(`      agent: ${task.agent.split("\n")[0]}`));
    for (const check of task.acceptance_tests) lines.push(p.dim(`      check: ${check}`));
    if (task.shell !== undefined && task.shell !== planShell) lines.push(p.dim(`      shell: ${task.shell}`));
    if (task.env) lines.push(p.dim(`      env: ${envList(task.env)}`));
    if (task.risky) {
      const why = task.risk_reason ? ` (${task.risk_reason})` : "";
      lines.push(`      ${p.yellow("⚠ RISKY")}${why} — approving needs the phrase "${confirmationPhrase(task)}"`);
    }
  });
  return lines;
}

/** `NAME=value, …`; a secret-looking name's value (by the logs' redaction rules) is not shown. */
function envList(env: Readonly<Record<string, string>>): string {
  const probe = "0123456789abcdef";
  const secret = (name: string) => redactorFor({ [name]: probe })(probe) !== probe;
  return Object.entries(env)
    .map(([name, value]) => (secret(name) ? `${name}=[secret, not shown]` : `${name}=${value}`))
    .join(", ");
}

export function renderProblems(io: Io, problems: readonly Problem[]): string[] {
  if (problems.length === 0) return [];
  const p = paint(io);
  const lines = ["", p.bold("Problems:")];
  for (const problem of problems) {
    const where = [problem.task_id ? `task ${problem.task_id}` : undefined, problem.line ? `line ${problem.line}` : undefined, problem.path]
      .filter(Boolean)
      .join(", ");
    const label = problem.severity === "error" ? p.red("error") : p.yellow("warning");
    lines.push(`  ${label} ${problem.code}${where ? ` (${where})` : ""}: ${problem.message}`);
    lines.push(`        fix: ${problem.fix}`);
  }
  return lines;
}

export function renderHistory(io: Io, history: readonly GateEntry[]): string[] {
  const p = paint(io);
  const lines = ["", p.bold("Gate history:")];
  for (const entry of history) {
    lines.push(`  ${clockTime(entry.at)}  v${entry.version}  ${entry.action.padEnd(24)} ${entry.actor.padEnd(10)} ${entry.detail}`);
  }
  return lines;
}
