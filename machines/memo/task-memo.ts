// Pure. The memo key of the task machine (lite.ts): what its guards and assigns read from
// (context, event), so that the fold of a long log steps most task events from memory.
import type { PehEvent } from "../../events/index.js";
import type { MemoSpec } from "./lite.js";
import { taskIdOf, taskMachine, type TaskContext } from "../task.js";

/**
 * Everything the task machine's guards and assigns read from (context, event), with identity
 * replaced by relations (own event? from a dependency?), so that tasks share memoized steps.
 * Keep it in step with the guards in task.ts: the memo property test fails otherwise.
 */
export const taskMemo: MemoSpec<TaskContext, PehEvent> = {
  machine: taskMachine,
  key(context, event) {
    if (event.type === "PLAN_CHANGED") return undefined; // rare, and read whole
    const entity = event.entity;
    const id = context.task_id;
    const own = entity.length === id.length + 5 && entity.startsWith("task:") && entity.endsWith(id);
    const from = taskIdOf(event);
    const relation = own ? 0 : from !== undefined && context.depends_on.includes(from) ? 1 : 2;
    const data = event.data as Record<string, unknown>;
    const budget = context.failure_class === null ? 0 : context.budget[context.failure_class] + 1;
    // The numbers as the code units of one short flat string (cheap to build and to hash); the
    // rare texts (a decision, a reason, a class, a due time) after it.
    const numbers = [typeIndex(event.type), relation, context.attempt, count(data.attempt), count(data.next_attempt), context.idempotent ? 1 : 0,
      context.settled, context.depends_on.length, context.retries, budget, context.resumed ? 1 : 0, context.reusable ? 1 : 0,
      context.isolated ? 1 : 0, worktreeKey(context), context.worktree?.attempt ?? 0, context.rate_limit === null ? 0 : 1, context.rate_limit_retries, context.budget_stop ? 1 : 0];
    if (numbers.some((n) => n > 0xffff)) return `${numbers.join(",")}|${texts(context, data)}`;
    const key = String.fromCharCode(...numbers);
    const rare = data.decision ?? data.reason ?? data.class ?? context.failure_class ?? data.due_at ?? data.waived_due_at;
    return rare === undefined || rare === null ? key : `${key}|${texts(context, data)}`;
  },
};

const TYPES = new Map<string, number>();
/** A number per event type, in the order first seen (the same in one process, all a memo needs). */
function typeIndex(type: string): number {
  let index = TYPES.get(type);
  if (index === undefined) TYPES.set(type, (index = TYPES.size));
  return index;
}

/** An attempt number of the event, or 0 when it has none (attempts start at 1). */
const count = (value: unknown): number => (typeof value === "number" ? value : 0);

const texts = (context: TaskContext, data: Record<string, unknown>): string =>
  `${data.decision ?? ""}|${data.reason ?? ""}|${data.class ?? ""}|${context.failure_class ?? ""}|${data.due_at ?? ""}|${data.waived_due_at ?? ""}|${context.due_at ?? ""}|${rateLimitKey(data.rate_limit)}|${context.rate_limit?.reset_at ?? ""}`;

/** A FAILURE_CLASSIFIED's rate limit (the assign copies its reset time): none, or its reset. */
const rateLimitKey = (value: unknown): string =>
  value === undefined ? "" : `r${(value as { reset_at?: string }).reset_at ?? ""}`;

const PHASES = ["created", "committed", "rebased", "merged", "archived", "removed"] as const;
/** The worktree's phase and whether it was merged, as one number (0: no worktree yet). */
const worktreeKey = (context: TaskContext): number =>
  context.worktree === null ? 0 : 1 + PHASES.indexOf(context.worktree.phase) * 2 + (context.worktree.merged ? 1 : 0);
