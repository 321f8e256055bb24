// Renders a plan for review: numbered tasks with their dependencies, the rights each asks for,
// ⚠ RISKY marks with the phrase each needs, the problems found, and the command to type next.
import type { Plan, PlanFile, Problem } from "../../events/index.js";
import { agentPromptOf, confirmationPhrase } from "../../events/index.js";
import { grantWords, requestedGrants } from "../../machines/grants.js";
import type { GateEntry } from "../../projections/gate-history.js";
import { plural } from "../../projections/text/words.js";
import { localTime } from "../time.js";
import { redactorFor } from "../../runtime/execution/process/redact.js";
import { DEFAULT_SHELL } from "../../runtime/execution/process/shell.js";
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
    lines.push(...indented("", task.objective));
    // Where its commands start, when not the workspace root: the approval approves that too.
    if (task.cwd !== undefined) lines.push(p.dim(`      cwd: ${task.cwd}`));
    if (task.run) lines.push(...indented("run: ", task.run).map(p.dim));
    if (task.agent && !task.run) {
      const own = agentPromptOf(task);
      const cli = typeof task.agent === "object" && task.agent.cli ? `[${task.agent.cli}] ` : "";
      const [first, ...rest] = linesOf(`${cli}${own ?? "(the objective)"}`);
      lines.push(p.dim(`      agent: ${first}${rest.length ? ` (+${plural(rest.length, "line")})` : ""}`));
    }
    for (const check of task.acceptance_tests) lines.push(...indented("check: ", check).map(p.dim));
    if (task.shell !== undefined && task.shell !== planShell) lines.push(p.dim(`      shell: ${task.shell}`));
    if (task.env) lines.push(p.dim(`      env: ${envList(task.env)}`));
    // Every right the task asks for, plainly: approving its phrase grants exactly these.
    for (const words of grantWords(requestedGrants(task))) lines.push(`      ${p.yellow(words)}`);
    if (task.risky) {
      const why = ` (${task.risk_reason ?? "the plan marks it risky"})`;
      lines.push(`      ${p.yellow("⚠ RISKY")}${why} — approving needs the phrase "${confirmationPhrase(task)}"`);
    }
  });
  return lines;
}

const linesOf = (text: string): string[] => text.replace(/\s+$/, "").split(/\r?\n/);

/**
 * A field of a task under its heading, every line of it: a multi-line `run` (a YAML block) is
 * what the approver approves, so none of it is hidden, and each line is indented under the first.
 */
function indented(label: string, text: string): string[] {
  const [first, ...rest] = linesOf(text);
  return [`      ${label}${first}`, ...rest.map((line) => `      ${" ".repeat(label.length)}${line}`)];
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
    lines.push(`  ${localTime(entry.at)}  v${entry.version}  ${entry.action.padEnd(24)} ${entry.actor.padEnd(10)} ${entry.detail}`);
  }
  return lines;
}
