// Which agent an agent task runs and how: its CLI (the task's object form, else the plan's, else
// the user config's agent.cli, else generic), the command line (the task's own `run`, else the
// configured agent command, else the CLI's program, followed by the adapter's arguments), its
// budget and its inactivity limit.
import type { AgentCli, Budget, Plan, PlanTask } from "../../events/index.js";
import { durationToMs } from "../../machines/recovery.js";
import { adapterFor, agentCommandLine, type AgentAdapter } from "./index.js";

/** An agent CLI that prints nothing for this long is stopped, unless the task says otherwise. */
export const DEFAULT_IDLE_TIMEOUT = "5m";

export interface ResolvedAgent {
  adapter: AgentAdapter;
  /** The shell command line, or undefined when no command is configured (generic). */
  command: string | undefined;
  budget: Budget;
  idleTimeoutMs: number | undefined;
}

export interface AgentDefaults {
  agentCli?: AgentCli;
  agentCommand?: string;
}

export function resolveAgent(plan: Pick<Plan, "agent"> | null, task: PlanTask, defaults: AgentDefaults): ResolvedAgent | undefined {
  if (task.agent === undefined) return undefined;
  const own = typeof task.agent === "object" ? task.agent : {};
  const cli = own.cli ?? plan?.agent?.cli ?? defaults.agentCli ?? "generic";
  const adapter = adapterFor(cli);
  const model = own.model ?? plan?.agent?.model;
  const max_turns = own.max_turns ?? plan?.agent?.max_turns ?? (adapter.enforces.turns ? task.budget?.turns : undefined);
  const usd = adapter.enforces.usd ? task.budget?.usd : undefined;
  const command = agentCommandLine(adapter, task.run ?? defaults.agentCommand, {
    ...(model ? { model } : {}),
    ...(max_turns ? { max_turns } : {}),
    ...(usd ? { budget_usd: usd } : {}),
  });
  const idle = task.idle_timeout ?? (cli === "generic" ? undefined : DEFAULT_IDLE_TIMEOUT);
  return { adapter, command, budget: task.budget ?? {}, idleTimeoutMs: idle === undefined ? undefined : durationToMs(idle) };
}

/**
 * The agent tasks whose dollar budget peh cannot keep: their CLI reports no cost (Codex, Gemini
 * CLI, the generic adapter), so only `budget.turns` applies to them. `peh plan` warns of each.
 */
export function usdWithoutCost(plan: Pick<Plan, "agent" | "budget" | "tasks">, defaults: AgentDefaults): { task_id: string; cli: AgentCli; budget: "task" | "run" }[] {
  if (!plan.budget?.usd && !plan.tasks.some((task) => task.budget?.usd)) return [];
  const found: { task_id: string; cli: AgentCli; budget: "task" | "run" }[] = [];
  for (const task of plan.tasks) {
    const agent = resolveAgent(plan, task, defaults);
    if (!agent || agent.adapter.reportsCost) continue;
    if (task.budget?.usd) found.push({ task_id: task.id, cli: agent.adapter.cli, budget: "task" });
    else if (plan.budget?.usd) found.push({ task_id: task.id, cli: agent.adapter.cli, budget: "run" });
  }
  return found;
}

/** The warning for them: what is not counted, what still applies. */
export function usdWithoutCostWarning(found: ReturnType<typeof usdWithoutCost>): string | undefined {
  if (found.length === 0) return undefined;
  const own = found.filter((f) => f.budget === "task");
  const run = found.filter((f) => f.budget === "run");
  const list = (items: typeof found) => items.map((f) => `${f.task_id} (${f.cli})`).join(", ");
  return [
    "budget.usd cannot be kept for agent CLIs that report no cost (codex, gemini, generic): only budget.turns applies to them.",
    own.length > 0 ? ` Tasks whose own budget.usd is ignored: ${list(own)}.` : "",
    run.length > 0 ? ` The run's budget.usd counts nothing these tasks spend: ${list(run)}.` : "",
    " Give them budget: { turns: N } instead, or run them with claude or opencode.",
  ].join("");
}
