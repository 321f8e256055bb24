// The decider and the machines on what agent CLIs bring (issue 21): a rate limit's retries counted
// once against the retry budget, waited out until the reset the stream gave; a spent run budget
// stops the next attempt.
import { describe, expect, it } from "vitest";
import type { CommandInput } from "../machines/decider/commands.js";
import { RATE_LIMIT_RETRIES } from "../machines/recovery.js";
import type { PehEvent, WorkerId } from "../events/index.js";
import { entityState, whyIllegal, type RunState } from "../machines/fold/run.js";
import { AT, BOOTSTRAP, approve, create, planFile, scheduleReady, tid } from "./support/fixtures.js";
import { given } from "./support/decider-spec.js";

/** One agent task whose policy allows a single transient retry. */
const plan = planFile({
  objective: "Write the notes",
  tasks: [{ id: "notes", objective: "Write notes.md", scope: "workspace", agent: "write notes.md", acceptance_tests: ["test -s notes.md"], recovery: { transient: { max_retries: 1, delays: ["0s"] } } }],
});
const started: CommandInput[][] = [[create(plan), approve(1, [])], BOOTSTRAP, [scheduleReady]];
const RESET = "2026-01-15T15:00:00.000Z";

/** Attempt `n` fails; classified transient, as a rate limit (with its reset) or not. */
function failing(n: number, rateLimit: { reset_at?: string } | undefined): CommandInput[] {
  return [
    { type: "StartAttempt", at: AT, task_id: "notes", cwd: "/w/app" },
    { type: "ResolveTrust", at: AT, worker_id: `notes#${n}`, resolution: { source: "allowlist", root: "/w/app" } },
    { type: "MarkWorkerRunning", at: AT, worker_id: `notes#${n}` },
    { type: "RecordExit", at: AT, task_id: "notes", exit_code: 1 },
    { type: "ClassifyFailure", at: AT, task_id: "notes", class: "transient", rule: rateLimit ? "claude: rate limit" : "network", evidence: "429", ...(rateLimit ? { rate_limit: rateLimit } : {}) },
  ];
}
const recover: CommandInput = { type: "Recover", at: AT, task_id: "notes", evidence: "429", jitter: 0.5 };
const rateLimited = (n: number, reset_at: string | undefined = RESET) => [...failing(n, reset_at ? { reset_at } : {}), recover];

describe("decider › a rate limit is counted against the retry budget once", () => {
  it("a second rate limit is retried under a policy of one transient retry, and counts nothing more", () => {
    const decision = given(...started, rateLimited(1)).when(failing(2, { reset_at: RESET })[0]!);
    expect(decision.thenTypes("TASK_STARTED", "WORKER_SPAWNING", "WORKER_TRUST_REQUIRED").state.tasks.get(tid("notes"))?.context).toMatchObject({ retries: 1, rate_limit_retries: 1 });
    const second = given(...started, rateLimited(1), failing(2, { reset_at: RESET })).when(recover).thenTypes("RECOVERY_ATTEMPTED");
    expect(second.state.tasks.get(tid("notes"))?.context).toMatchObject({ retries: 1, rate_limit_retries: 2 });
    expect(entityState(second.state, "task:notes")).toBe("retry_scheduled");
  });

  it("waits until the recorded reset, even when the command brings no Retry-After (a resumed run)", () => {
    const decision = given(...started, failing(1, { reset_at: RESET })).when(recover).thenTypes("RECOVERY_ATTEMPTED");
    expect(decision.events[0]).toMatchObject({ data: { due_at: RESET, delay_ms: Date.parse(RESET) - Date.parse(AT) } });
  });

  it("a rate limit without a reset time is still counted once, waiting the policy's delay", () => {
    const decision = given(...started, [...failing(1, {}), recover], failing(2, {})).when(recover).thenTypes("RECOVERY_ATTEMPTED");
    expect(decision.events[0]).toMatchObject({ data: { due_at: AT, delay_ms: 0 } });
  });

  it("any other transient failure after the one retry is spent escalates, as before", () => {
    const decision = given(...started, rateLimited(1), failing(2, undefined)).when(recover).thenTypes("RECOVERY_ESCALATION");
    expect(decision.events[0]).toMatchObject({ data: { class: "transient", reason: expect.stringContaining("1 of 1 automatic retries used, none left") } });
  });

  it("a first rate limit needs the class's budget like any failure: with none left it escalates", () => {
    const decision = given(...started, [...failing(1, undefined), recover], failing(2, { reset_at: RESET })).when(recover).thenTypes("RECOVERY_ESCALATION");
    expect(decision.events[0]).toMatchObject({ data: { reason: expect.stringContaining("1 of 1 automatic retries used") } });
  });

  it(`rate-limit retries have a bound of their own (${RATE_LIMIT_RETRIES}): then a human decides, and a human's retry starts the count again`, () => {
    const history = Array.from({ length: RATE_LIMIT_RETRIES }, (_, i) => rateLimited(i + 1));
    const last = RATE_LIMIT_RETRIES + 1;
    const escalated = given(...started, ...history, failing(last, { reset_at: RESET })).when(recover).thenTypes("RECOVERY_ESCALATION");
    expect(escalated.events[0]).toMatchObject({ data: { reason: expect.stringContaining(`rate limited again after ${RATE_LIMIT_RETRIES} of ${RATE_LIMIT_RETRIES} automatic retries for rate limits`) } });
    const decided: CommandInput = { type: "RecordDecision", at: AT, actor: "ana", task_id: "notes", decision: "retry" };
    const retried = given(...started, ...history, failing(last, { reset_at: RESET }), [recover]).when(decided).thenTypes("DECISION_RECORDED");
    expect(retried.state.tasks.get(tid("notes"))?.context).toMatchObject({ retries: 0, rate_limit_retries: 0 });
  });
});

describe("decider › a spent run budget stops the next attempt", () => {
  const budgeted = planFile({
    objective: "Write the notes",
    budget: { usd: 0.05, turns: 10 },
    tasks: [
      { id: "notes", objective: "Write notes.md", scope: "workspace", agent: "write notes.md", acceptance_tests: ["true"] },
      { id: "more", objective: "Write more", scope: "workspace", depends_on: [tid("notes")], agent: "write more", acceptance_tests: ["true"] },
    ],
  });
  const report = (cost_usd: number | null, turns: number) => ({ cli: "claude" as const, usage: { input_tokens: 10, output_tokens: 5, cached_tokens: 0, cost_usd }, turns, tool_calls: 0, files_changed: [], result: { is_error: false, text: "ok" } });
  const notesSpends = (cost: number | null, turns: number): CommandInput[] => [
    { type: "StartAttempt", at: AT, task_id: "notes", cwd: "/w/app" },
    { type: "ResolveTrust", at: AT, worker_id: "notes#1", resolution: { source: "allowlist", root: "/w/app" } },
    { type: "MarkWorkerRunning", at: AT, worker_id: "notes#1" },
    { type: "RecordExit", at: AT, task_id: "notes", exit_code: 0, agent: report(cost, turns) },
    { type: "RecordVerification", at: AT, task_id: "notes", evidence: [{ command: "true", exit_code: 0, duration_ms: 1 }] },
    scheduleReady,
  ];
  const startMore: CommandInput = { type: "StartAttempt", at: AT, task_id: "more", cwd: "/w/app" };
  const running: CommandInput[][] = [[create(budgeted), approve(1, [])], BOOTSTRAP, [scheduleReady]];

  it("within the budget the attempt starts, and the plan has added up what the agent reported", () => {
    const decision = given(...running, notesSpends(0.01, 3)).when(startMore).thenTypes("TASK_STARTED", "WORKER_SPAWNING", "WORKER_TRUST_REQUIRED");
    expect(decision.state.plan.context.spent).toEqual({ usd: 0.01, turns: 3 });
  });

  it.each([
    ["its dollars", 0.06, 3],
    ["its turns", 0.01, 10],
  ])("once %s are spent the attempt does not start: RUN_BUDGET_SPENT, the task and the plan wait for a human", (_, cost, turns) => {
    const decision = given(...running, notesSpends(cost, turns)).when(startMore).thenTypes("RUN_BUDGET_SPENT");
    expect(decision.events[0]).toMatchObject({ entity: "task:more", data: { task_id: "more", next_attempt: 1, budget: { usd: 0.05, turns: 10 }, spent: { usd: cost, turns } } });
    expect(entityState(decision.state, "task:more")).toBe("awaiting_decision");
    expect(entityState(decision.state, "plan")).toBe("awaiting_decision");
    expect(decision.state.tasks.get(tid("more"))?.context.budget_stop).toBe(true);
  });

  it("an agent that reports no cost spends no dollars (its turns count)", () => {
    const decision = given(...running, notesSpends(null, 3)).when(startMore).thenTypes("TASK_STARTED", "WORKER_SPAWNING", "WORKER_TRUST_REQUIRED");
    expect(decision.state.plan.context.spent).toEqual({ usd: 0, turns: 3 });
  });

  it("the machines refuse TASK_STARTED itself once the budget is spent, not only the decider", () => {
    const { state } = given(...running, notesSpends(0.06, 3));
    expect(whyIllegal(state, stampedStart(state))).toMatch(/TASK_STARTED is not allowed for plan/);
  });

  it("a raised budget (a change mid-run) and a human's retry start it; a skip settles it", () => {
    const raised: CommandInput = { type: "ChangePlan", at: AT, actor: "ana", plan: { ...budgeted, budget: { usd: 1, turns: 10 } }, change: "more budget" };
    const retry: CommandInput = { type: "RecordDecision", at: AT, actor: "ana", task_id: "more", decision: "retry" };
    given(...running, notesSpends(0.06, 3), [startMore, raised, retry]).when(startMore).thenTypes("TASK_STARTED", "WORKER_SPAWNING", "WORKER_TRUST_REQUIRED");
    // Not raised: the retry is stopped again, and waits for a human again.
    given(...running, notesSpends(0.06, 3), [startMore, retry]).when(startMore).thenTypes("RUN_BUDGET_SPENT");
    const skipped = given(...running, notesSpends(0.06, 3), [startMore]).when({ ...retry, decision: "skip" }).thenTypes("DECISION_RECORDED");
    expect(entityState(skipped.state, "task:more")).toBe("skipped");
  });
});

/** A TASK_STARTED for `more`, stamped as the decider would, to ask the machines directly. */
function stampedStart(state: RunState): PehEvent {
  return { id: `${state.run_id}.${state.seq + 1}`, run_id: state.run_id!, seq: state.seq + 1, at: AT, actor: "peh", entity: "task:more", type: "TASK_STARTED", data: { task_id: tid("more"), attempt: 1, worker_id: "more#1" as WorkerId } } as unknown as PehEvent;
}
