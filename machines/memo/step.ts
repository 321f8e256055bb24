// Pure. The machines' transition functions, called the way xstate's exported `transition()` and
// `initialTransition()` call them, but with one inert actor scope per machine instead of a new
// one per call. xstate builds a throwaway Actor for every `transition()` call, and that actor's
// eager initial snapshot runs `context` factories without input: for the task machine an
// exception per event. Measured: 68 µs per folded event before, a few µs after. Our machines
// spawn and invoke nothing, so the scope's `self` and `system` are never used; actions are
// collected, never executed.
import { createActor, type AnyStateMachine, type EventFrom, type InputFrom, type SnapshotFrom } from "xstate";

export interface CollectedAction {
  type: string;
  params?: unknown;
}

interface InertScope {
  scope: Record<string, unknown>;
  collected: CollectedAction[];
}

const scopes = new WeakMap<AnyStateMachine, InertScope>();

function inertScope(machine: AnyStateMachine, input: unknown): InertScope {
  const cached = scopes.get(machine);
  if (cached) return cached;
  const collected: CollectedAction[] = [];
  const self = createActor(machine, { input });
  const scope = {
    self,
    defer: () => {},
    id: "",
    logger: () => {},
    sessionId: "",
    stopChild: () => {},
    system: self.system,
    emit: () => {},
    actionExecutor: (action: CollectedAction) => {
      collected.push({ type: action.type, params: action.params });
    },
  };
  const created = { scope, collected };
  scopes.set(machine, created);
  return created;
}

type Logic = { transition(snapshot: unknown, event: unknown, scope: unknown): unknown; getInitialSnapshot(scope: unknown, input: unknown): unknown };

/** The machine's initial snapshot for `input`, and the actions its entry would run. */
export function start<M extends AnyStateMachine>(machine: M, input?: InputFrom<M>): [SnapshotFrom<M>, CollectedAction[]] {
  const { scope, collected } = inertScope(machine, input);
  collected.length = 0;
  const snapshot = (machine as unknown as Logic).getInitialSnapshot(scope, input) as SnapshotFrom<M>;
  return [snapshot, collected.splice(0)];
}

/** The next snapshot for `event`, and the named actions the transition asks for (not run). */
export function step<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: EventFrom<M>,
): [SnapshotFrom<M>, CollectedAction[]] {
  const { scope, collected } = inertScope(machine, undefined);
  collected.length = 0;
  const next = (machine as unknown as Logic).transition(snapshot, event, scope) as SnapshotFrom<M>;
  return [next, collected.splice(0)];
}
