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
