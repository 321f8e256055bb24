// Pure. Folding a long log through xstate costs ~30 µs per transition here; the fold instead keeps
// each machine as a light cell {value, context, status} and memoizes transitions. A machine
// declares a memo key that covers everything its guards and assigns read from (context, event);
// on a miss the real machine computes the step (via `step`) and the result is remembered as the
// new value, status, actions and the context fields that changed. A property test checks that
// the memoized fold always equals the plain one. `materialize` rebuilds a real snapshot, so
// legality (`can()`) is always asked of the machine itself; the answer is memoized with the step,
// under the same key (which covers everything guards read), so a fold can check every event.
import type { AnyStateMachine, StateValue } from "xstate";
import { start, step, type CollectedAction } from "./step.js";

/**
 * A machine's state in a run. Cells are copy-on-write: a run state changes in place only the
 * cells it owns (`owner`), so a draft cloned from it never touches the original's cells.
 */
export interface Lite<C = unknown> {
  value: StateValue;
  context: C;
  status: "active" | "done" | "error" | "stopped";
  owner: object;
}

/** How one machine's transitions are memoized: a key for (context, event), or undefined for "never". */
export interface MemoSpec<C, E> {
  machine: AnyStateMachine;
  key(context: C, event: E): string | undefined;
  /** Filled in by `stepLite`: the remembered outcomes (a field, not a map lookup, on the hot path). */
  memo?: Memo;
}

interface Memo {
  size: number;
  /** state value → event key → outcome. */
  byValue: Map<string, Map<string, Outcome>>;
}

interface Outcome extends Step {
  value: StateValue;
  status: Lite["status"];
  /** Context fields the step changed (null: the context is untouched). */
  changes: [field: string, value: unknown][] | null;
}

/** What a step did: the named actions it asks for (not run), and whether the machine accepted the event. */
export interface Step {
  actions: readonly CollectedAction[];
  /** `can(event)` of the state stepped from, as the machine answers it. */
  accepted: boolean;
}

type Snapshot = { value: StateValue; context: unknown; status: Lite["status"]; can(event: unknown): boolean; hasTag(tag: string): boolean };

const MAX_MEMO = 50_000;
/** Every spec that holds a memo, so tests can clear them. */
const specs = new Set<MemoSpec<never, never>>();
const initials = new Map<AnyStateMachine, { value: StateValue; status: Lite["status"]; actions: CollectedAction[] }>();

/** The real xstate snapshot of a cell: ask it `can(event)`. */
export function materialize(machine: AnyStateMachine, lite: Lite): Snapshot {
  return machine.resolveState({ value: lite.value, context: lite.context as never }) as unknown as Snapshot;
}

/** Whether the machine tags the cell's state with `tag` (asked of the machine, not restated). */
export function hasTag(machine: AnyStateMachine, lite: Lite, tag: string): boolean {
  return materialize(machine, lite).hasTag(tag);
}

/**
 * A machine's initial cell for `input`. The initial state of our machines never depends on input
 * (no eventless transitions), so it is computed once per machine; the context comes from the
 * machine's own `context` factory.
 */
export function startLite<C>(machine: AnyStateMachine, owner: object, input?: unknown): Lite<C> {
  let initial = initials.get(machine);
  if (!initial) {
    const [snapshot, actions] = start(machine, input as never) as unknown as [Snapshot, CollectedAction[]];
    initials.set(machine, (initial = { value: snapshot.value, status: snapshot.status, actions }));
    return { value: snapshot.value, context: snapshot.context as C, status: snapshot.status, owner };
  }
  // As xstate does: a factory gets the input, a plain object is the context, none means `{}`.
  const factory = machine.config.context as unknown;
  const context =
    typeof factory === "function" ? (factory as (args: { input: unknown }) => C)({ input }) : ((factory ?? {}) as C);
  return { value: initial.value, context, status: initial.status, owner };
}

const valueKey = (value: StateValue): string => (typeof value === "string" ? value : JSON.stringify(value));

/**
 * Steps `from` by `event` and writes the result into `into` (which may be `from` itself).
 * Returns the named actions the transition asks for (they are not run) and whether the machine
 * accepted the event.
 */
export function stepLite<C, E>(spec: MemoSpec<C, E>, from: Lite<C>, into: Lite<C>, event: E): Step {
  const eventKey = spec.key(from.context, event);
  let memo = spec.memo;
  if (!memo) {
    spec.memo = memo = { size: 0, byValue: new Map() };
    specs.add(spec as MemoSpec<never, never>);
  }
  const value = valueKey(from.value);
  const known = eventKey === undefined ? undefined : memo.byValue.get(value)?.get(eventKey);
  if (known) {
    into.context = known.changes ? withChanges(from.context, known.changes) : from.context;
    into.value = known.value;
    into.status = known.status;
    return known;
  }
  const before = materialize(spec.machine, from as Lite);
  const accepted = before.can(event);
  const [after, actions] = step(spec.machine, before as never, event as never) as unknown as [Snapshot, CollectedAction[]];
  const outcome: Outcome = { value: after.value, status: after.status, changes: eventKey === undefined ? null : changesBetween(before.context, after.context), actions, accepted };
  if (eventKey !== undefined) {
    if (memo.size >= MAX_MEMO) spec.memo = memo = { size: 0, byValue: new Map() };
    let entries = memo.byValue.get(value);
    if (!entries) memo.byValue.set(value, (entries = new Map()));
    entries.set(eventKey, outcome);
    memo.size++;
  }
  into.value = after.value;
  into.context = after.context as C;
  into.status = after.status;
  return outcome;
}

function changesBetween(before: unknown, after: unknown): [string, unknown][] | null {
  if (before === after) return null;
  const changes: [string, unknown][] = [];
  for (const [field, value] of Object.entries(after as object)) {
    if ((before as Record<string, unknown>)[field] !== value) changes.push([field, value]);
  }
  return changes;
}

/** A copy of `context` with the remembered fields changed (a loop: a second spread is slow on long folds). */
function withChanges<C>(context: C, changes: readonly [string, unknown][]): C {
  const next = { ...context } as Record<string, unknown>;
  for (const [field, value] of changes) next[field] = value;
  return next as C;
}

/** For tests: forget every memoized transition. */
export function clearMemos(): void {
  for (const spec of specs) delete spec.memo;
  initials.clear();
}

/** For tests: how many memoized outcomes a spec holds. */
export function memoSize(spec: MemoSpec<never, never>): number {
  return spec.memo?.size ?? 0;
}

const handled = new WeakMap<AnyStateMachine, Map<string, boolean>>();

/**
 * Whether the machine's definition has any transition for `eventType` in the state `value`
 * (its own or an ancestor's): a cheap structural question, asked of the machine, to skip cells
 * that cannot take an event before asking `can()` of those that might.
 */
export function mayHandle(machine: AnyStateMachine, value: StateValue, eventType: string): boolean {
  let byKey = handled.get(machine);
  if (!byKey) handled.set(machine, (byKey = new Map()));
  const key = `${valueKey(value)}|${eventType}`;
  let answer = byKey.get(key);
  if (answer === undefined) {
    // The active state nodes (leaf and ancestors) and the transitions each declares itself.
    const nodes = machine.resolveState({ value, context: {} as never })._nodes as { ownEvents: string[] }[];
    answer = nodes.some((node) => node.ownEvents.includes(eventType));
    byKey.set(key, answer);
  }
  return answer;
}
