// `peh approve` as a service: one approval of one plan version, with every risky phrase. An
// approval is of the version its actor saw: the caller names it (the prompt pins the version it
// showed), and a plan that changed meanwhile is refused, never approved in its new version.
import { PehError, isPehError, type EventStore, type RunId, type Via } from "../../events/index.js";
import type { RunState } from "../../machines/fold/run.js";
import { RunHandle } from "../command-handler.js";
import { nextStep } from "./next.js";
import { gateRefusal, planAllows } from "./refusals.js";
import { now } from "../execution/clock.js";

/** A conflict re-read this many times: each re-read judges the same version again, never a newer one. */
const CONFLICT_RETRIES = 3;

/**
 * Approves `version` (the one the actor saw) of the run's plan. Without a version only the plan
 * as created (version 1) is approved: a later version was made by someone's modification, and an
 * actor who names no version may not have seen it. A version other than the current one is
 * refused (APPEND_CONFLICT, exit 4, when the plan changed since), also when the change lands
 * between the read and the append.
 */
export async function approveRun(store: EventStore, runId: RunId, input: { actor: string; confirmations: string[]; version?: number; via?: Via }): Promise<RunState> {
  let run = await RunHandle.open(store, runId);
  const version = input.version ?? (await unnamedVersion(store, runId, run.state, input.actor));
  for (let retry = 0; ; retry++) {
    if (!planAllows("approve", run.state)) throw gateRefusal("approve", runId, run.state);
    await refuseUnseen(store, runId, run.state, version, input.actor);
    try {
      await run.handle({ type: "ApprovePlan", at: now(), actor: input.actor, ...(input.via ? { via: input.via } : {}), version, confirmations: input.confirmations });
      return run.state;
    } catch (error) {
      // Another writer came between the read and the append: judge the same version again.
      if (isPehError(error, "APPEND_CONFLICT") && retry < CONFLICT_RETRIES) {
        run = await RunHandle.open(store, runId);
        continue;
      }
      // The decider knows the phrases, not the run's id: name the run in the command to retype.
      if (isPehError(error, "CONFIRMATION_MISSING")) {
        throw new PehError(error.code, error.message, approveCommand(runId, run.state, input.actor), error.details);
      }
      throw error;
    }
  }
}

/** The command that approves the current version, with its phrases, for `actor`. */
function approveCommand(runId: RunId, state: RunState, actor: string): string | undefined {
  return nextStep(runId, state)?.replace("--as NAME", `--as ${actor}`);
}

/** The version an approval that names none is for: version 1, the plan as created, only. */
async function unnamedVersion(store: EventStore, runId: RunId, state: RunState, actor: string): Promise<number> {
  const current = state.plan.context.version;
  if (current <= 1 || !planAllows("approve", state)) return current;
  const by = await madeBy(store, runId, current);
  throw new PehError(
    "USAGE",
    `version ${current} of ${runId}'s plan was made by a modification${by ? ` (by ${by})` : ""}: say which version you reviewed with --version; nothing was approved`,
    `review it (peh show ${runId}), then: ${approveCommand(runId, state, actor)}`,
    { version: current, made_by: by ?? null },
  );
}

/** Refuses an approval of a version that is not the current one, saying which one is and who made it. */
async function refuseUnseen(store: EventStore, runId: RunId, state: RunState, version: number, actor: string): Promise<void> {
  const current = state.plan.context.version;
  if (version === current) return;
  if (version > current) {
    throw new PehError("USAGE", `${runId}'s plan is at version ${current}, not the version ${version} you reviewed; nothing was approved`, `review it (peh show ${runId}), then: ${approveCommand(runId, state, actor)}`, {
      version: current,
      reviewed: version,
    });
  }
  const by = await madeBy(store, runId, current);
  throw new PehError(
    "APPEND_CONFLICT",
    `${runId}'s plan changed to version ${current}${by ? ` (by ${by})` : ""} after you reviewed version ${version}; nothing was approved`,
    `review the new version (peh show ${runId}), then: ${approveCommand(runId, state, actor)}`,
    { version: current, reviewed: version, made_by: by ?? null },
  );
}

/** Who made `version` of the plan (a modification or a change mid-run), from the log. */
async function madeBy(store: EventStore, runId: RunId, version: number): Promise<string | undefined> {
  const events = await store.read(runId);
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    if ((event.type === "GATE_MODIFIED" || event.type === "PLAN_CHANGED" || event.type === "PLAN_CREATED") && event.data.plan.version === version) return event.actor;
  }
  return undefined;
}
