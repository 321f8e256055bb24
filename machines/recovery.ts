// Pure. Recovery policies (DESIGN §6 "Recovery"): what happens after a failure of each class,
// resolved field by field from the task's `recovery`, then the plan's, then the defaults below.
// The task machine reads the retry budget from here (it refuses a retry beyond it); the decider
// reads the action and the delays.
import { DURATION_PATTERN, type FailureClass, type Plan, type PlanTask, type RecoveryAction, type Recovery } from "../events/index.js";

export interface ResolvedPolicy {
  action: RecoveryAction;
  max_retries: number;
  /** Waits before retry 1, 2, …; the last one repeats. */
  delays_ms: readonly number[];
}

/**
 * The defaults: transient failures retry twice (5 s, then 30 s); a logic error retries once at
 * once; a merge conflict gets one fresh attempt on the run branch's new head; everything else
 * waits for a human (a permission failure as PERMISSION_REQUIRED).
 */
export const DEFAULT_RECOVERY: Readonly<Record<FailureClass, ResolvedPolicy>> = {
  transient: { action: "retry", max_retries: 2, delays_ms: [5_000, 30_000] },
  logic_error: { action: "retry", max_retries: 1, delays_ms: [0] },
  permission: { action: "escalate", max_retries: 0, delays_ms: [] },
  invalid_input: { action: "escalate", max_retries: 0, delays_ms: [] },
  unrecoverable: { action: "escalate", max_retries: 0, delays_ms: [] },
  unknown: { action: "escalate", max_retries: 0, delays_ms: [] },
  // Another task changed the same lines first: one fresh attempt on the new head, then a human.
  merge_conflict: { action: "retry", max_retries: 1, delays_ms: [0] },
  budget_exceeded: { action: "escalate", max_retries: 0, delays_ms: [] },
};

/**
 * How many automatic retries after a rate limit a task gets (the first of them counted in its
 * class's budget too, the rest not; a human's retry starts the count again): a usage limit that resets in hours is waited out,
 * an API that keeps refusing is not waited on for ever.
 */
export const RATE_LIMIT_RETRIES = 10;

export const FAILURE_CLASSES = Object.keys(DEFAULT_RECOVERY) as FailureClass[];

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/**
 * The longest duration a plan or flag may give (validation refuses more): a year. Every wait of
 * the runtime holds it (runtime/execution/delay.ts chains Node's timers, which hold ~24.8 days),
 * and a due time that far ahead is still a date.
 */
export const MAX_DURATION_MS = 365 * UNIT_MS.d;
export const MAX_DURATION = "365d";

/** `250ms`, `5s`, `10m`, `1h`, `2d`, `1h30m` → milliseconds (the schema has checked the shape). */
export function durationToMs(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration}`);
  const [, d = "0", h = "0", m = "0", s = "0", ms = "0"] = match;
  return Number(d) * UNIT_MS.d + Number(h) * UNIT_MS.h + Number(m) * UNIT_MS.m + Number(s) * UNIT_MS.s + Number(ms);
}

/** The policy for one failure class of one task: task fields win over plan fields over defaults. */
export function policyFor(klass: FailureClass, task: Pick<PlanTask, "recovery"> | undefined, plan: Recovery | undefined): ResolvedPolicy {
  const base = DEFAULT_RECOVERY[klass];
  const layers = [plan?.[klass], task?.recovery?.[klass]];
  let policy: ResolvedPolicy = base;
  for (const layer of layers) {
    if (!layer) continue;
    policy = {
      action: layer.action ?? policy.action,
      max_retries: layer.max_retries ?? (layer.action === "retry" && policy.max_retries === 0 ? 1 : policy.max_retries),
      delays_ms: layer.delays ? layer.delays.map(durationToMs) : policy.delays_ms,
    };
  }
  return policy;
}

/** How many automatic retries each class allows a task: its budget (0 unless the action retries). */
export function retryBudget(task: Pick<PlanTask, "recovery"> | undefined, plan: Pick<Plan, "recovery"> | undefined): Readonly<Record<FailureClass, number>> {
  // Every task of a plan without policies shares one budget: folding a big plan starts each of
  // its task machines, and should not resolve six policies per task to learn the defaults.
  if (!task?.recovery && !plan?.recovery) return DEFAULT_BUDGET;
  return budgetOf(task, plan);
}

function budgetOf(task: Pick<PlanTask, "recovery"> | undefined, plan: Pick<Plan, "recovery"> | undefined): Readonly<Record<FailureClass, number>> {
  const budget = {} as Record<FailureClass, number>;
  for (const klass of FAILURE_CLASSES) {
    const policy = policyFor(klass, task, plan?.recovery);
    budget[klass] = policy.action === "retry" ? policy.max_retries : 0;
  }
  return budget;
}

/**
 * The wait before retry number `retry` (1-based): the policy's delay, spread by ±20% jitter
 * (`jitter` in [0, 1), drawn by the caller so that this stays pure), or the server's
 * `Retry-After` when the output gave one.
 */
export function retryDelayMs(policy: ResolvedPolicy, retry: number, jitter: number, retryAfterMs?: number): number {
  // A server's Retry-After is taken at its word, up to the longest wait peh accepts anywhere.
  if (retryAfterMs !== undefined) return Math.min(MAX_DURATION_MS, Math.max(0, Math.round(retryAfterMs)));
  const base = policy.delays_ms[Math.min(retry - 1, policy.delays_ms.length - 1)] ?? 0;
  return Math.max(0, Math.round(base * (0.8 + 0.4 * jitter)));
}

const DEFAULT_BUDGET = Object.freeze(budgetOf(undefined, undefined));

/** The budget of a task that is never retried automatically (one that is not idempotent). */
export const NO_RETRIES: Readonly<Record<FailureClass, number>> = Object.freeze(
  Object.fromEntries(FAILURE_CLASSES.map((klass) => [klass, 0])) as Record<FailureClass, number>,
);
