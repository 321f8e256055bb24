// Every gate action in every plan state: what it does, or how it is refused.
import { describe, expect, it } from "vitest";
import type { CommandInput } from "../machines/decider/commands.js";
import { AT, BOOTSTRAP, approve, create, diamond, finish, planFile, runTask, scheduleReady } from "./support/fixtures.js";
import { given } from "./support/decider-spec.js";

const modified = planFile({ ...diamond, tasks: diamond.tasks.filter((t) => t.id !== "lint").map((t) => ({ ...t, depends_on: t.depends_on.filter((d) => d !== "lint") })) });
const actions: Record<string, CommandInput> = {
  approve: approve(),
  "approve without phrase": approve(1, []),
  modify: { type: "ModifyPlan", at: AT, actor: "bo", plan: modified, change: "skip lint" },
  clarify: { type: "RequestClarification", at: AT, actor: "bo", question: "which region?" },
  answer: { type: "AnswerClarification", at: AT, actor: "ana", answer: "eu-west-1" },
  reject: { type: "RejectPlan", at: AT, actor: "bo", reason: "not this week" },
};

const states: Record<string, CommandInput[][]> = {
  awaiting_approval: [[create()]],
  clarification_requested: [[create(), actions.clarify!]],
  approved: [[create(), approve()]],
  rejected: [[create(), actions.reject!]],
  bootstrapping: [[create(), approve(), { type: "StartBootstrapPhase", at: AT, phase: "cli_entry" }]],
  executing: [[create(), approve()], BOOTSTRAP],
  completed: [[create(), approve()], BOOTSTRAP, [scheduleReady], runTask("build"), [scheduleReady], runTask("test"), runTask("lint"), [scheduleReady], runTask("deploy"), [finish]],
};

/** What each action leads to, by state: the state after it, or the error it is refused with. */
const expected: Record<string, Record<string, string>> = {
  awaiting_approval: { approve: "approved", "approve without phrase": "CONFIRMATION_MISSING", modify: "awaiting_approval", clarify: "clarification_requested", answer: "ILLEGAL_TRANSITION", reject: "rejected" },
  clarification_requested: { approve: "ILLEGAL_TRANSITION", "approve without phrase": "ILLEGAL_TRANSITION", modify: "awaiting_approval", clarify: "ILLEGAL_TRANSITION", answer: "awaiting_approval", reject: "rejected" },
  approved: { approve: "ILLEGAL_TRANSITION", "approve without phrase": "ILLEGAL_TRANSITION", modify: "awaiting_approval", clarify: "ILLEGAL_TRANSITION", answer: "ILLEGAL_TRANSITION", reject: "rejected" },
};
const refusedEverywhere = Object.fromEntries(Object.keys(actions).map((action) => [action, "ILLEGAL_TRANSITION"]));
for (const state of ["rejected", "bootstrapping", "executing", "completed"]) expected[state] = refusedEverywhere;

const cases = Object.entries(expected).flatMap(([state, outcomes]) => Object.entries(outcomes).map(([action, outcome]) => [state, action, outcome] as const));

describe("gate › every action in every plan state", () => {
  it.each(cases)("in %s, %s → %s", (state, action, outcome) => {
    const spec = given(...states[state]!);
    expect(spec.state.plan.value).toBe(state);
    const when = spec.when(actions[action]!);
    if (outcome === outcome.toUpperCase()) when.thenThrows(outcome as "ILLEGAL_TRANSITION" | "CONFIRMATION_MISSING");
    else when.thenState("plan", outcome);
  });

  it("records who acted on every gate event", () => {
    const decision = given([create()]).when(actions.reject!).thenTypes("GATE_REJECTED");
    expect(decision.events[0]?.actor).toBe("bo");
  });

  it("makes a new version on a modification, which needs its own approval", () => {
    const spec = given([create(), approve(), actions.modify!]);
    expect(spec.state.plan_spec?.version).toBe(2);
    expect(spec.state.plan.context.approved_version).toBeNull();
    spec.when(approve(1)).thenThrows("ILLEGAL_TRANSITION");
    given([create(), approve(), actions.modify!]).when(approve(2)).thenState("plan", "approved");
  });

  it("starts no bootstrap phase and no task before approval", () => {
    given([create()]).when({ type: "StartBootstrapPhase", at: AT, phase: "cli_entry" }).thenThrows("ILLEGAL_TRANSITION");
    given([create(), actions.clarify!]).when(scheduleReady).thenTypes();
  });
});
