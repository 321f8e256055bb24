// Pure. The failures a run went past: tasks that failed and were then skipped, by their class's
// recovery policy (`action: skip`) or by a human's decision. A run that ends so is completed (the
// plan or a human said to go on) but not clean, and the views say so in words.
import type { FailureClass, PehEvent } from "../events/index.js";
import { policyFor } from "../machines/recovery.js";
import type { RunState } from "../machines/fold/run.js";
import { stateName } from "../machines/fold/state-name.js";
import { plural } from "./text/words.js";

export interface SkippedFailure {
  task_id: string;
  /** The class of the failure the task was skipped after. */
  class: FailureClass;
  /** Who skipped it: the class's policy, or a human (named where the view has the log). */
  by: "policy" | "human";
  actor: string | null;
}

/** Every task skipped after a failure, in plan order. */
export function skippedFailuresOf(state: RunState): SkippedFailure[] {
  const specs = new Map((state.plan_spec?.tasks ?? []).map((task) => [task.id as string, task]));
  const skipped: SkippedFailure[] = [];
  for (const [id, cell] of state.tasks) {
    // A task's failure class is cleared when an attempt starts, so a skipped task that still has
    // one was skipped after that failure, not before it ran (an abort, a change mid-run).
    const klass = cell.context.failure_class;
    if (stateName(cell.value) !== "skipped" || klass === null) continue;
    // A policy that skips does so at once: the task never waits for a human, so a human's skip
    // is one whose class's policy does not say skip.
    const byPolicy = policyFor(klass, specs.get(id), state.plan_spec?.recovery).action === "skip";
    skipped.push({ task_id: id, class: klass, by: byPolicy ? "policy" : "human", actor: null });
  }
  return skipped;
}

/**
 * The failures in words, for a summary: `1 failure skipped by policy: lint (logic_error)`, or
 * `2 failures skipped: lint (logic_error) by policy, test (unknown) by ana`.
 */
export function skippedFailuresText(failures: readonly SkippedFailure[]): string {
  const who = (failure: SkippedFailure) => (failure.by === "policy" ? "policy" : (failure.actor ?? "a human"));
  const whos = new Set(failures.map(who));
  const count = plural(failures.length, "failure");
  if (whos.size === 1) return `${count} skipped by ${[...whos][0]}: ${failures.map((f) => `${f.task_id} (${f.class})`).join(", ")}`;
  return `${count} skipped: ${failures.map((f) => `${f.task_id} (${f.class}) by ${who(f)}`).join(", ")}`;
}

/** The same failures with the human who skipped each named, from the run's log. */
export function withDeciders(failures: readonly SkippedFailure[], events: Iterable<PehEvent>): SkippedFailure[] {
  const decider = new Map<string, string>();
  for (const event of events) if (event.type === "DECISION_RECORDED" && event.data.decision === "skip") decider.set(event.data.task_id, event.actor);
  return failures.map((failure) => (failure.by === "human" ? { ...failure, actor: decider.get(failure.task_id) ?? null } : failure));
}
