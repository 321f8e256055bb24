// Every gate service (approve, modify, refine, clarify --question/--answer, reject) in every plan
// state, as the command line calls it: what it does, or how it is refused in plain words, by where
// the plan stands, with nothing recorded and the machine's own detail kept for --json.
import { describe, expect, it } from "vitest";
import { InMemoryEventStore } from "../events/adapters.js";
import { isPehError } from "../events/index.js";
import type { CommandInput } from "../machines/decider/commands.js";
import { stateName } from "../machines/fold/state-name.js";
import { RunHandle } from "../runtime/command-handler.js";
import { answerRun, approveRun, clarifyRun, modifyRun, refineRun, rejectRun } from "../runtime/gate/gate.js";
import { AT, BOOTSTRAP, RUN, approve, create, scheduleReady, runTask } from "./support/fixtures.js";

const escalated: CommandInput[] = [
  { type: "StartAttempt", at: AT, task_id: "build", cwd: "/w/app" },
  { type: "ResolveTrust", at: AT, worker_id: "build#1", resolution: { source: "allowlist", root: "/w/app" } },
  { type: "MarkWorkerRunning", at: AT, worker_id: "build#1" },
  { type: "RecordExit", at: AT, task_id: "build", exit_code: 1 },
  { type: "ClassifyFailure", at: AT, task_id: "build", class: "unknown", rule: "r", evidence: "e" },
  { type: "Recover", at: AT, task_id: "build", evidence: "e", jitter: 0.5 },
];
const abort: CommandInput = { type: "RecordDecision", at: AT, actor: "bo", task_id: "build", decision: "abort" };
const question: CommandInput = { type: "RequestClarification", at: AT, actor: "bo", question: "which region?" };

const states: Record<string, CommandInput[]> = {
  awaiting_approval: [create()],
  clarification_requested: [create(), question],
  approved: [create(), approve()],
  rejected: [create(), { type: "RejectPlan", at: AT, actor: "bo", reason: "not now" }],
  bootstrapping: [create(), approve(), { type: "StartBootstrapPhase", at: AT, phase: "cli_entry" }],
  executing: [create(), approve(), ...BOOTSTRAP],
  awaiting_decision: [create(), approve(), ...BOOTSTRAP, scheduleReady, ...escalated],
  aborted: [create(), approve(), ...BOOTSTRAP, scheduleReady, ...escalated, abort],
  completed: [create(), approve(), ...BOOTSTRAP, scheduleReady, ...runTask("build"), scheduleReady, ...runTask("test"), ...runTask("lint"), scheduleReady, ...runTask("deploy"), { type: "Finish", at: AT }],
};

const actor = "ana";
const actions = {
  approve: (store: InMemoryEventStore) => approveRun(store, RUN, { actor, confirmations: ["deploy to production"], version: 1 }),
  modify: (store: InMemoryEventStore) => modifyRun(store, RUN, { actor, modification: { kind: "skip", id: "lint" } }),
  refine: (store: InMemoryEventStore) => refineRun(store, RUN, { actor, feedback: "skip lint" }),
  question: (store: InMemoryEventStore) => clarifyRun(store, RUN, { actor, question: "which bucket?" }),
  answer: (store: InMemoryEventStore) => answerRun(store, RUN, { actor, answer: "eu-west-1" }),
  reject: (store: InMemoryEventStore) => rejectRun(store, RUN, { actor, reason: "not this week" }),
};
type Action = keyof typeof actions;

const ok = (state: string) => ({ ok: state });
/** For each state, each action: the plan state it leads to, or the message it is refused with. */
const expected: Record<string, Record<Action, { ok: string } | RegExp>> = {
  awaiting_approval: {
    approve: ok("approved"),
    modify: ok("awaiting_approval"),
    refine: ok("awaiting_approval"),
    question: ok("clarification_requested"),
    answer: /^`peh clarify --answer` refused: the plan has no open question \(version 1 awaits approval\); nothing was recorded$/,
    reject: ok("rejected"),
  },
  clarification_requested: {
    approve: /^`peh approve` refused: a question about version 1 waits for an answer first;/,
    modify: ok("awaiting_approval"),
    refine: ok("awaiting_approval"),
    question: /^`peh clarify --question` refused: a question already waits for an answer \(version 1\);/,
    answer: ok("awaiting_approval"),
    reject: ok("rejected"),
  },
  approved: {
    approve: /^`peh approve` refused: version 1 is already approved;/,
    modify: ok("awaiting_approval"),
    refine: ok("awaiting_approval"),
    question: /^`peh clarify --question` refused: version 1 is already approved; questions come before the approval;/,
    answer: /^`peh clarify --answer` refused: the plan has no open question \(version 1 is approved and has not started\);/,
    reject: ok("rejected"),
  },
  rejected: {
    approve: /^`peh approve` refused: the plan was rejected;/,
    modify: /^`peh modify` refused: the plan was rejected;/,
    refine: /^`peh refine` refused: the plan was rejected;/,
    question: /^`peh clarify --question` refused: the plan was rejected;/,
    answer: /^`peh clarify --answer` refused: the plan has no open question \(the plan was rejected\);/,
    reject: /^`peh reject` refused: the plan is already rejected;/,
  },
  bootstrapping: {
    approve: /^`peh approve` refused: the run is starting version 1;/,
    modify: /^`peh modify` refused: the run is starting version 1; a change mid-run can be made once it executes;/,
    refine: /^`peh refine` refused: refine makes a new version that needs approval, and the run has started \(the run is starting version 1\);/,
    question: /^`peh clarify --question` refused: the run is starting version 1;/,
    answer: /^`peh clarify --answer` refused: the plan has no open question \(the run is starting version 1\);/,
    reject: /^`peh reject` refused: only a plan that has not started can be rejected \(the run is starting version 1\);/,
  },
  executing: {
    approve: /^`peh approve` refused: the run is executing version 1;/,
    modify: /a change mid-run is applied without a new approval, so it needs --confirm-change; nothing was recorded/,
    refine: /^`peh refine` refused: refine makes a new version that needs approval, and the run has started \(the run is executing version 1\);/,
    question: /^`peh clarify --question` refused: the run is executing version 1;/,
    answer: /^`peh clarify --answer` refused: the plan has no open question \(the run is executing version 1\);/,
    reject: /^`peh reject` refused: only a plan that has not started can be rejected \(the run is executing version 1\);/,
  },
  awaiting_decision: {
    approve: /^`peh approve` refused: the run waits for a decision on a failed task;/,
    modify: /needs --confirm-change; nothing was recorded/,
    refine: /^`peh refine` refused: refine makes a new version that needs approval, and the run has started \(the run waits for a decision on a failed task\);/,
    question: /^`peh clarify --question` refused: the run waits for a decision on a failed task;/,
    answer: /^`peh clarify --answer` refused: the plan has no open question \(the run waits for a decision on a failed task\);/,
    reject: /^`peh reject` refused: only a plan that has not started can be rejected \(the run waits for a decision on a failed task\);/,
  },
  aborted: {
    approve: /^`peh approve` refused: the run was aborted;/,
    modify: /^`peh modify` refused: the run was aborted;/,
    refine: /^`peh refine` refused: the run was aborted;/,
    question: /^`peh clarify --question` refused: the run was aborted;/,
    answer: /^`peh clarify --answer` refused: the plan has no open question \(the run was aborted\);/,
    reject: /^`peh reject` refused: the run was aborted;/,
  },
  completed: {
    approve: /^`peh approve` refused: the run has completed;/,
    modify: /^`peh modify` refused: the run has completed;/,
    refine: /^`peh refine` refused: the run has completed;/,
    question: /^`peh clarify --question` refused: the run has completed;/,
    answer: /^`peh clarify --answer` refused: the plan has no open question \(the run has completed\);/,
    reject: /^`peh reject` refused: the run has completed;/,
  },
};

async function storeIn(state: string): Promise<InMemoryEventStore> {
  const store = new InMemoryEventStore();
  const run = await RunHandle.open(store, RUN);
  for (const command of states[state]!) await run.handle(command);
  expect(stateName(run.state.plan.value)).toBe(state);
  return store;
}

const cases = Object.entries(expected).flatMap(([state, outcomes]) => Object.entries(outcomes).map(([action, outcome]) => [state, action as Action, outcome] as const));

describe("gate services › every action in every plan state", () => {
  it.each(cases)("in %s, %s → %s", async (state, action, outcome) => {
    const store = await storeIn(state);
    const before = await store.version(RUN);
    const result = await actions[action](store).catch((error: unknown) => error);
    if (!(outcome instanceof RegExp)) {
      expect(result, String(result)).not.toBeInstanceOf(Error);
      expect(stateName((await RunHandle.open(store, RUN)).state.plan.value)).toBe(outcome.ok);
      return;
    }
    if (!isPehError(result)) throw new Error(`expected a refusal, got ${String(result)}`);
    expect(result.message).toMatch(outcome);
    expect(result.message).not.toMatch(/[A-Z]{3,}_[A-Z_]+/); // no event or state names in the words
    expect(result.hint).toBeTruthy();
    expect(await store.version(RUN), "nothing was recorded").toBe(before);
  });

  it("keeps the technical detail of a plain refusal in its details, and says what to type instead", async () => {
    const store = await storeIn("awaiting_approval");
    const refused = await answerRun(store, RUN, { actor, answer: "eu-west-1" }).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: "ILLEGAL_TRANSITION",
      hint: expect.stringContaining(`peh approve ${RUN}`),
      details: { action: "answer", plan_state: "awaiting_approval", version: 1, event: "GATE_APPROVAL_REQUESTED" },
    });
    const waiting = await approveRun(await storeIn("awaiting_decision"), RUN, { actor, confirmations: [], version: 1 }).catch((error: unknown) => error);
    expect(waiting).toMatchObject({ hint: `peh decide ${RUN} --task build retry|skip|abort --as NAME` });
  });
});
