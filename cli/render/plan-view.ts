// Renders a plan for review: numbered tasks with their dependencies, ⚠ RISKY marks with the
// phrase each needs, the problems found, and the command to type next.
import { clockTime } from "../../projections/log-view.js";
import type { Plan, PlanFile, Problem } from "../../events/index.js";
import { confirmationPhrase } from "../../events/index.js";
import type { GateEntry } from "../../projections/gate-history.js";
import { paint, type Io } from "../output.js";

export function renderPlan(io: Io, plan: PlanFile | Plan, options: { states?: Map<string, string> } = {}): string[] {
  const p = paint(io);
  const number = new Map(plan.tasks.map((task, i) => [task.id as string, i + 1]));
  const total = plan.tasks.length;
  const lines = [`${p.bold("Objective:")} ${plan.objective}`, ""];
  plan.tasks.forEach((task, i) => {
    const deps = task.depends_on.map((id) => `Task ${number.get(id) ?? `? ${id}`}`).join(", ");
    const state = options.states?.get(task.id);
    lines.push(`  Task ${i + 1}/${total}: ${p.bold(task.id)}${deps ? ` (depends on ${deps})` : ""}${state ? p.dim(` [${state}]`) : ""}`);
    lines.push(`      ${task.objective}`);
    if (task.run) lines.push(p.dim(`      run: ${task.run}`));
    if (task.agent && !task.run) lines.push(p.dim(`      agent: ${task.agent.split("\n")[0]}`));
    for (const check of task.acceptance_tests) lines.push(p.dim(`      check: ${check}`));
    if (task.risky) {
      const why = task.risk_reason ? ` (${task.risk_reason})` : "";
      lines.push(`      ${p.yellow("⚠ RISKY")}${why} — approving needs the phrase "${confirmationPhrase(task)}"`);
    }
  });
  return lines;
}

/**
 * Which version a human approved, beside the current one: `(approved: version 1; changed mid-run
 * by ana)`. A change mid-run makes a version nobody approved, and the views must not say otherwise.
 */
export function approvalNote(plan: { version: number; approved_version: number | null; changed_by: readonly string[] }): string {
  if (plan.approved_version === null) return "";
  const changed = plan.changed_by.length > 0 && plan.version !== plan.approved_version ? `; changed mid-run by ${plan.changed_by.join(", ")}` : "";
  return ` (approved: version ${plan.approved_version}${changed})`;
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
