// Pure. A run's budget (the plan's `budget: { usd, turns }`, issue 21): what its agents have
// spent, as their reports on TASK_VERIFYING and TASK_FAILED say, and whether anything is left.
// The plan machine holds both and refuses a new attempt once the budget is spent.
import type { AgentReport, Budget, Spent } from "../events/index.js";

export const NOTHING_SPENT: Spent = Object.freeze({ usd: 0, turns: 0 });

/** What is spent after one more attempt's report (a CLI that reports no cost adds none). */
export function spentAfter(spent: Spent, report: AgentReport): Spent {
  return { usd: spent.usd + (report.usage.cost_usd ?? 0), turns: spent.turns + report.turns };
}

/** Whether a run with this budget may start another attempt: no limit reached yet. */
export function budgetLeft(budget: Budget | null | undefined, spent: Spent): boolean {
  if (!budget) return true;
  if (budget.usd !== undefined && spent.usd >= budget.usd) return false;
  if (budget.turns !== undefined && spent.turns >= budget.turns) return false;
  return true;
}

/** `$0.6500 of $0.60 spent; 3 of 10 turns`: each limit the budget sets, what is spent of it. */
export function budgetWords(budget: Budget, spent: Spent): string {
  const words: string[] = [];
  if (budget.usd !== undefined) words.push(`$${spent.usd.toFixed(4)} of $${budget.usd.toFixed(2)} spent`);
  if (budget.turns !== undefined) words.push(`${spent.turns} of ${budget.turns} turns`);
  return words.join("; ");
}
