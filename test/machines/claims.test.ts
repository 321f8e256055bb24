// Claims of attempts by many workers (machines/claims.ts, the worker machine's WORKER_CLAIMED and
// WORKER_LEASE_EXPIRED), decided as the runtime asks: a claim comes with its start; a lapsed claim
// is taken over once; a superseded attempt's late results are refused; the plan's cap holds.
import { describe, expect, it } from "vitest";
import { isPehError } from "../../events/index.js";
import type { CommandInput } from "../../machines/decider/commands.js";
import { claimOf, slotsLeft } from "../../machines/claims.js";
import { decide } from "../../machines/decider/decider.js";
import { entityState, initialRunState, type RunState } from "../../machines/fold/run.js";
import { AT, BOOTSTRAP, approve, create, planFile, scheduleReady, tid } from "../support/fixtures.js";

const plan = (concurrency?: number) =>
  planFile({
    objective: "Two at once",
    ...(concurrency === undefined ? {} : { concurrency }),
    tasks: ["a", "b", "c"].map((id) => ({ id, objective: `Task ${id}`, scope: "workspace", run: "true" })),
  });
const W1 = JSON.stringify({ pid: 1, host: "h1" });
const W2 = JSON.stringify({ pid: 2, host: "h2" });
const claimed = (task: string, holder = W1): CommandInput => ({ type: "StartAttempt", at: AT, task_id: task, cwd: "/w/app", claim: { holder, lease_ms: 2_000 } });
/** A claimed start, its trust given by the allowlist and its process running (as `peh worker` does in one batch). */
const started = (task: string, attempt: number, holder = W1): CommandInput[] => [
  claimed(task, holder),
  { type: "ResolveTrust", at: AT, worker_id: `${task}#${attempt}`, resolution: { source: "allowlist", root: "/w/app" } },
  { type: "MarkWorkerRunning", at: AT, worker_id: `${task}#${attempt}`, pid: 4242 },
];
const expire = (task: string, attempt: number, holder = W1, by = W2): CommandInput => ({ type: "InterruptTask", at: AT, task_id: task, reason: "its worker stopped renewing its lease", expired: { attempt, holder, by } });

function after(commands: CommandInput[], state = initialRunState()): RunState {
  return commands.reduce((s, command) => decide(s, command).state, state);
}
function refusal(state: RunState, command: CommandInput): string {
  try {
    decide(state, command);
  } catch (error) {
    if (isPehError(error, "ILLEGAL_TRANSITION")) return error.message;
    throw error;
  }
  return "accepted";
}
const ready = (concurrency?: number) => after([create(plan(concurrency)), approve(1, []), ...BOOTSTRAP, scheduleReady]);

describe("claims of attempts", () => {
  it("a claim is appended with its start, and names its holder", () => {
    const decided = decide(ready(), claimed("a"));
    expect(decided.events.map((event) => event.type)).toEqual(["TASK_STARTED", "WORKER_SPAWNING", "WORKER_CLAIMED", "WORKER_TRUST_REQUIRED"]);
    // Waiting for a human's trust, the attempt needs no holder: whoever is told carries it on.
    expect(claimOf(decided.state, tid("a"))).toBeUndefined();
    expect(claimOf(after(started("a", 1), ready()), tid("a"))).toEqual({ attempt: 1, holder: W1, lease_ms: 2_000, worker: "a#1" });
    // A second start of the same task, by another worker that read the log before, is refused.
    expect(refusal(decided.state, claimed("a", W2))).toMatch(/StartAttempt refused/);
  });

  it("a lapsed claim is taken over once: its worker ends, the task is interrupted and may run again", () => {
    const running = after(started("a", 1), ready());
    const taken = decide(running, expire("a", 1));
    expect(taken.events.map((event) => event.type)).toEqual(["WORKER_LEASE_EXPIRED", "TASK_INTERRUPTED"]);
    expect(entityState(taken.state, "worker:a#1")).toBe("failed");
    expect(entityState(taken.state, "task:a")).toBe("interrupted");
    // Another worker that saw the same lapse is refused: the claim is over.
    expect(refusal(taken.state, expire("a", 1, W1, JSON.stringify({ pid: 3, host: "h3" })))).toMatch(/refused/);
    // Only the holder's claim can lapse.
    expect(refusal(running, expire("a", 1, W2, W2))).toMatch(/refused/);
    // The next attempt is claimed by the taker.
    const again = after(started("a", 2, W2), taken.state);
    expect(claimOf(again, tid("a"))).toMatchObject({ attempt: 2, holder: W2 });
  });

  it("a superseded attempt's late results are refused, and recorded nowhere", () => {
    const state = after([...started("a", 1), expire("a", 1), ...started("a", 2, W2)], ready());
    for (const late of [
      { type: "RecordExit", at: AT, task_id: "a", attempt: 1, exit_code: 0 },
      { type: "RecordExit", at: AT, task_id: "a", attempt: 1, exit_code: 1 },
      { type: "RecordVerification", at: AT, task_id: "a", attempt: 1, evidence: [] },
      { type: "ClassifyFailure", at: AT, task_id: "a", attempt: 1, class: "transient", rule: "r", evidence: "e" },
    ] as CommandInput[]) {
      expect(refusal(state, late), late.type).toMatch(/refused/);
    }
    expect(refusal(state, { type: "MarkWorkerRunning", at: AT, worker_id: "a#1", pid: 7 })).toMatch(/refused/);
  });

  it("the plan's concurrency cap holds whoever starts: a start past it is refused", () => {
    const one = after([claimed("a"), claimed("b", W2)], ready(2));
    expect(slotsLeft(one)).toBe(0);
    expect(refusal(one, claimed("c"))).toMatch(/concurrency cap \(2 under way\)/);
    // An attempt's end frees its slot.
    const freed = after([expire("a", 1)], one);
    expect(slotsLeft(freed)).toBe(1);
    expect(refusal(freed, claimed("c"))).toBe("accepted");
    expect(slotsLeft(ready())).toBe(Infinity);
  });
});
