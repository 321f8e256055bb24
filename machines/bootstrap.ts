// Pure. The bootstrap phases in their fixed order; each starts only after the one before it
// completed, and a failed phase may be started again (on resume) but never skipped.
import { setup } from "xstate";
import type { BootstrapPhase, PehEvent } from "../events/index.js";
import type { MemoSpec } from "./memo/lite.js";

/** The states of one phase: not started → running → (failed → running again) → next phase. */
function phaseStates(phase: BootstrapPhase, next: string) {
  const isPhase = { type: "isPhase", params: { phase } } as const;
  return {
    initial: "pending",
    states: {
      pending: { on: { BOOTSTRAP_PHASE_STARTED: { guard: isPhase, target: "running", actions: "runPhase" } } },
      running: {
        on: {
          BOOTSTRAP_PHASE_COMPLETED: { guard: isPhase, target: `#bootstrap.${next}` },
          BOOTSTRAP_PHASE_FAILED: { guard: isPhase, target: "failed" },
        },
      },
      failed: { on: { BOOTSTRAP_PHASE_STARTED: { guard: isPhase, target: "running", actions: "runPhase" } } },
    },
  } as const;
}

export const bootstrapMachine = setup({
  types: { events: {} as PehEvent },
  guards: {
    isPhase: ({ event }, params: { phase: BootstrapPhase }) => "phase" in event.data && event.data.phase === params.phase,
  },
  actions: {
    /** Named effect, supplied by the runtime: do the phase's work. */
    runPhase: () => {},
  },
}).createMachine({
  id: "bootstrap",
  initial: "cli_entry",
  states: {
    cli_entry: phaseStates("cli_entry", "system_prompt_fastpath"),
    system_prompt_fastpath: phaseStates("system_prompt_fastpath", "mcp_fastpath"),
    mcp_fastpath: phaseStates("mcp_fastpath", "daemon_worker_fastpath"),
    daemon_worker_fastpath: phaseStates("daemon_worker_fastpath", "main_runtime"),
    main_runtime: phaseStates("main_runtime", "ready"),
    ready: { type: "final" },
  },
});

export type BootstrapMachine = typeof bootstrapMachine;

/** Only the `isPhase` guard reads the event: its phase. */
export const bootstrapMemo: MemoSpec<unknown, PehEvent> = {
  machine: bootstrapMachine,
  key: (_context, event) => `${event.type}|${"phase" in event.data ? event.data.phase : ""}`,
};
