// Pure. What the run's agents spent, from the AgentReports on TASK_VERIFYING and TASK_FAILED:
// per task (all its attempts) and for the run. Cost is null where no CLI reported any.
import type { AgentReport, PehEvent } from "../events/index.js";

export interface AgentSpend {
  attempts: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number | null;
  turns: number;
  tool_calls: number;
}

export interface AgentUsageView {
  tasks: ({ task_id: string; cli: string } & AgentSpend)[];
  total: AgentSpend;
}

const nothing = (): AgentSpend => ({ attempts: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost_usd: null, turns: 0, tool_calls: 0 });

function add(spend: AgentSpend, report: AgentReport): void {
  spend.attempts++;
  spend.input_tokens += report.usage.input_tokens;
  spend.output_tokens += report.usage.output_tokens;
  spend.cached_tokens += report.usage.cached_tokens;
  if (report.usage.cost_usd !== null) spend.cost_usd = (spend.cost_usd ?? 0) + report.usage.cost_usd;
  spend.turns += report.turns;
  spend.tool_calls += report.tool_calls;
}

/** Undefined when no attempt of the run reported an agent's stream. */
export function agentUsageOf(events: Iterable<PehEvent>): AgentUsageView | undefined {
  const tasks = new Map<string, { task_id: string; cli: string } & AgentSpend>();
  const total = nothing();
  for (const event of events) {
    if (event.type !== "TASK_VERIFYING" && event.type !== "TASK_FAILED") continue;
    const report = event.data.agent;
    if (!report) continue;
    const id = event.data.task_id;
    const spend = tasks.get(id) ?? { task_id: id, cli: report.cli, ...nothing() };
    tasks.set(id, spend);
    add(spend, report);
    add(total, report);
  }
  return tasks.size === 0 ? undefined : { tasks: [...tasks.values()], total };
}

/** `1,300 in · 340 out · 5,000 cached tokens · $0.0421 · 3 turns`. */
export function spendText(spend: AgentSpend): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const cost = spend.cost_usd === null ? "cost not reported" : `$${spend.cost_usd.toFixed(4)}`;
  return `${n(spend.input_tokens)} in · ${n(spend.output_tokens)} out · ${n(spend.cached_tokens)} cached tokens · ${cost} · ${spend.turns} ${spend.turns === 1 ? "turn" : "turns"}`;
}

/** The one-line account of one attempt's agent, for the log. */
export function reportText(report: AgentReport): string {
  const result = report.result === null ? "no final result" : report.result.is_error ? "final result: error" : "final result: ok";
  const stop = report.stop ? ` · stopped: ${report.stop.kind}${report.stop.reset_at ? ` until ${report.stop.reset_at}` : ""}` : "";
  return `${report.cli}: ${result}${stop} · ${spendText({ attempts: 1, ...report.usage, turns: report.turns, tool_calls: report.tool_calls })}`;
}
