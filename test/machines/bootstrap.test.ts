import { describe, expect, it } from "vitest";
import { initialTransition, transition } from "xstate";
import { BOOTSTRAP_PHASES, type BootstrapPhase } from "../../events/index.js";
import { bootstrapMachine } from "../../machines/bootstrap.js";
import { stateName } from "../../machines/fold/state-name.js";
import { ev } from "../support/events.js";

const started = (phase: BootstrapPhase) => ev("BOOTSTRAP_PHASE_STARTED", { phase });
const completed = (phase: BootstrapPhase) => ev("BOOTSTRAP_PHASE_COMPLETED", { phase });
const start = () => initialTransition(bootstrapMachine)[0];

describe("bootstrap machine › phases in order", () => {
  it("begins at cli_entry, not started", () => {
    expect(stateName(start().value)).toBe("cli_entry.pending");
  });

  it("refuses to start any phase but the next", () => {
    for (const phase of BOOTSTRAP_PHASES.slice(1)) expect(start().can(started(phase))).toBe(false);
    expect(start().can(started("cli_entry"))).toBe(true);
  });

  it("reaches ready after all five phases, in order, and is then final", () => {
    let snapshot = start();
    for (const phase of BOOTSTRAP_PHASES) {
      snapshot = transition(bootstrapMachine, snapshot, started(phase))[0];
      expect(stateName(snapshot.value)).toBe(`${phase}.running`);
      snapshot = transition(bootstrapMachine, snapshot, completed(phase))[0];
    }
    expect(snapshot.value).toBe("ready");
    expect(snapshot.status).toBe("done");
    expect(snapshot.can(started("cli_entry"))).toBe(false);
  });

  it("does not complete a phase that did not start", () => {
    expect(start().can(completed("cli_entry"))).toBe(false);
  });
});

describe("bootstrap machine › when a phase fails", () => {
  it("may start the same phase again, and not the next one", () => {
    const running = transition(bootstrapMachine, start(), started("cli_entry"))[0];
    const failed = transition(
      bootstrapMachine,
      running,
      ev("BOOTSTRAP_PHASE_FAILED", { phase: "cli_entry", error: { code: "ENOENT", message: "no workspace" } }),
    )[0];
    expect(stateName(failed.value)).toBe("cli_entry.failed");
    expect(failed.can(started("system_prompt_fastpath"))).toBe(false);
    const [again, actions] = transition(bootstrapMachine, failed, started("cli_entry"));
    expect(stateName(again.value)).toBe("cli_entry.running");
    expect(actions.map((a) => a.type)).toContain("runPhase");
  });
});
