// Given/when/then for the decider, after emmett's DeciderSpecification: given commands already
// decided, when one more, then the events it yields, the states it leaves, or the error it throws.
import { expect } from "vitest";
import type { PehEvent } from "../../events/index.js";
import { isPehError, type ErrorCode } from "../../events/index.js";
import type { CommandInput } from "../../machines/decider/commands.js";
import { decide, type DecideResult } from "../../machines/decider/decider.js";
import { entityState, initialRunState, type RunState } from "../../machines/fold/run.js";

export function given(...history: CommandInput[][]) {
  const log: PehEvent[] = [];
  let state: RunState = initialRunState();
  for (const command of history.flat()) {
    const decision = decide(state, command);
    log.push(...decision.events);
    state = decision.state;
  }
  return {
    state,
    log,
    when(command: CommandInput) {
      let decision: DecideResult | undefined;
      let error: unknown;
      try {
        decision = decide(state, command);
      } catch (caught) {
        error = caught;
      }
      return {
        thenTypes(...types: PehEvent["type"][]) {
          if (error) throw error;
          expect(decision!.events.map((event) => event.type)).toEqual(types);
          return decision!;
        },
        thenState(entity: PehEvent["entity"], name: string) {
          if (error) throw error;
          expect(entityState(decision!.state, entity)).toBe(name);
          return decision!;
        },
        thenThrows(code: ErrorCode, message?: RegExp, hint?: RegExp) {
          expect(isPehError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
          if (message) expect((error as Error).message).toMatch(message);
          if (hint) expect((error as { hint?: string }).hint).toMatch(hint);
          // A refused command leaves the caller's state as it was.
          expect(state.seq).toBe(log.length);
        },
      };
    },
  };
}
