// The decider and the task machine on what agent CLIs bring: a rate limit's retries counted once
// against the retry budget, and waited out until the reset the stream gave (issue 21).
import { describe, expect, it } from "vitest";
import type { CommandInput } from "../machines/commands.js";
import { RATE_LIMIT_RETRIES } from "../machines/recovery.js";
import { entityState } from "../machines/run.js";
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
