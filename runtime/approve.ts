// `peh approve` as a service: one approval of one plan version, with every risky phrase.
import { PehError, type EventStore, type RunId } from "../events/index.js";
import type { RunState } from "../machines/run.js";
import { RunHandle } from "./command-handler.js";
import { nextStep } from "./gate-next.js";
import { gateRefusal, planAllows } from "./gate-refusals.js";
import { now } from "./execution/clock.js";

export async function approveRun(store: EventStore, runId: RunId, input: { actor: string; confirmations: string[]; version?: number }): Promise<RunState> {
  const run = await RunHandle.open(store, runId);
  if (!planAllows("approve", run.state)) throw gateRefusal("approve", runId, run.state);
  const version = input.version ?? run.state.plan_spec?.version ?? 0;
  try {
    await run.handle({ type: "ApprovePlan", at: now(), actor: input.actor, version, confirmations: input.confirmations });
  } catch (error) {
    // The decider knows the phrases, not the run's id: name the run in the command to retype.
    if (error instanceof PehError && error.code === "CONFIRMATION_MISSING") {
      throw new PehError(error.code, error.message, nextStep(runId, run.state)?.replace("NAME", input.actor), error.details);
    }
    // The machine refused the version reviewed: say which one is current, so nobody approves blind.
    const current = run.state.plan_spec?.version;
    if (error instanceof PehError && error.code === "ILLEGAL_TRANSITION" && input.version !== undefined && current !== undefined && input.version !== current) {
      throw new PehError(error.code, `${runId}'s plan is at version ${current}, not the version ${input.version} you reviewed; nothing was approved`, `review it (peh show ${runId}), then approve version ${current}`, error.details);
    }
    throw error;
  }
  return run.state;
}
