// A refused gate action in plain words: what was refused and why, by where the plan stands, and
// what to type instead. The machine decides what is refused (this only asks it); the technical
// detail (the event, the machine's state and its own message) stays in the error's details.
import { PehError, type PehEvent, type RunId } from "../../events/index.js";
import { mayHandle } from "../../machines/memo/lite.js";
import { planMachine } from "../../machines/plan.js";
import type { RunState } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { awaitedOf } from "../../projections/status.js";

export type GateAction = "approve" | "modify" | "refine" | "question" | "answer" | "reject";

/** The command a human typed, as the message names it. */
const TYPED: Record<GateAction, string> = {
  approve: "peh approve",
  modify: "peh modify",
  refine: "peh refine",
  question: "peh clarify --question",
  answer: "peh clarify --answer",
  reject: "peh reject",
};

/** The event each action appends first: the one the plan machine judges. */
const EVENT: Record<GateAction, PehEvent["type"]> = {
  approve: "GATE_APPROVED",
  modify: "GATE_MODIFIED",
  refine: "GATE_MODIFIED",
  question: "GATE_CLARIFICATION_REQUESTED",
  answer: "GATE_APPROVAL_REQUESTED",
  reject: "GATE_REJECTED",
};

const UNDER_WAY = new Set(["bootstrapping", "executing", "awaiting_decision", "aborting"]);

/** Where the plan stands, in plain words: "version 2 awaits approval". */
export function standingOf(state: RunState): string {
  const name = stateName(state.plan.value);
  const { version } = state.plan.context;
  switch (name) {
    case "drafted":
      return `version ${version} is being drafted`;
    case "awaiting_approval":
      return `version ${version} awaits approval`;
    case "clarification_requested":
      return `a question about version ${version} waits for an answer`;
    case "approved":
      return `version ${version} is approved and has not started`;
    case "bootstrapping":
      return `the run is starting version ${version}`;
    case "executing":
      return `the run is executing version ${version}`;
    case "awaiting_decision":
      return "the run waits for a decision on a failed task";
    case "aborting":
      return "the run is being aborted";
    case "rejected":
      return "the plan was rejected";
    case "completed":
      return "the run has completed";
    case "failed":
      return "the run has ended, failed";
    case "aborted":
      return "the run was aborted";
    default:
      return `the plan is ${name.replaceAll("_", " ")}`;
  }
}

/** Whether the plan, where it stands, has a step for this action at all (the machine's answer). */
export function planAllows(action: GateAction, state: RunState): boolean {
  return mayHandle(planMachine, state.plan.value, EVENT[action]);
}

/** Why the action cannot be taken now, from the plan's state: the clause after "refused:". */
function reasonFor(action: GateAction, state: RunState): string {
  const name = stateName(state.plan.value);
  const standing = standingOf(state);
  const version = state.plan.context.version;
  switch (action) {
    case "answer":
      return `the plan has no open question (${standing})`;
    case "question":
      if (name === "clarification_requested") return `a question already waits for an answer (version ${version})`;
      if (name === "approved") return `version ${version} is already approved; questions come before the approval`;
      break;
    case "approve":
      if (name === "approved") return `version ${version} is already approved`;
      if (name === "clarification_requested") return `a question about version ${version} waits for an answer first`;
      break;
    case "reject":
      if (name === "rejected") return "the plan is already rejected";
      if (UNDER_WAY.has(name)) return `only a plan that has not started can be rejected (${standing})`;
      break;
    case "refine":
      if (UNDER_WAY.has(name)) return `refine makes a new version that needs approval, and the run has started (${standing})`;
      break;
    case "modify":
      if (name === "bootstrapping") return `the run is starting version ${version}; a change mid-run can be made once it executes`;
      break;
  }
  return standing;
}

/** What to type instead, by where the plan stands. */
function insteadOf(action: GateAction, runId: RunId, state: RunState): string {
  const name = stateName(state.plan.value);
  const awaited = awaitedOf(state)[0];
  if (action === "refine" && (name === "executing" || name === "awaiting_decision")) {
    return `change the run while it runs: peh modify ${runId} --from plan.yaml --confirm-change --as NAME`;
  }
  if (action === "question" && name === "approved") {
    return `to change the plan: peh modify ${runId} … --as NAME (it needs a new approval); to stop it: peh reject ${runId} --reason "…" --as NAME`;
  }
  if (action === "modify" && name === "bootstrapping") return `wait until it executes (peh status ${runId}), then peh modify ${runId} … --confirm-change --as NAME`;
  if (awaited) return awaited.command;
  if (name === "approved") return `peh run ${runId}`;
  if (UNDER_WAY.has(name)) return `peh status ${runId} shows where it is`;
  return 'plan again for a new run: peh plan --from plan.yaml, or peh plan "<objective>"';
}

/**
 * The refusal of `action` on a plan that cannot take it where it stands, e.g.
 * "`peh clarify --answer` refused: the plan has no open question (version 2 awaits approval)".
 * `cause` is the decider's refusal, kept in the details.
 */
export function gateRefusal(action: GateAction, runId: RunId, state: RunState, cause?: PehError): PehError {
  const candidate = isDetailed(cause?.details) ? cause.details.event : undefined;
  return new PehError("ILLEGAL_TRANSITION", `\`${TYPED[action]}\` refused: ${reasonFor(action, state)}; nothing was recorded`, insteadOf(action, runId, state), {
    action,
    plan_state: stateName(state.plan.value),
    version: state.plan.context.version,
    event: EVENT[action],
    ...(cause ? { machine: cause.message } : {}),
    ...(candidate ? { candidate } : {}),
  });
}

const isDetailed = (details: unknown): details is Record<string, unknown> => typeof details === "object" && details !== null && !Array.isArray(details);
