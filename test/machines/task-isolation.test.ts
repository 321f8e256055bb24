// The task machine for isolated work (isolation: worktree): an attempt completes only once its
// commit is merged onto the run's branch and its worktree removed; a failed attempt's work is
// archived and its worktree removed before anything else happens to the task.
import { describe, expect, it } from "vitest";
import { initialTransition, transition } from "xstate";
import type { PehEvent, TaskId } from "../../events/index.js";
import { taskMachine } from "../../machines/task.js";
import { ev } from "../support/events.js";
import { worktreeEvents } from "../support/sample-events.js";

const own = "build";
const fresh = (isolation: "worktree" | "none" = "worktree") =>
  initialTransition(taskMachine, { task: { id: own as TaskId, depends_on: [], idempotent: true }, isolation })[0];
type Snapshot = ReturnType<typeof fresh>;
const walk = (snapshot: Snapshot, ...events: PehEvent[]) => events.reduce((s, event) => transition(taskMachine, s, event)[0], snapshot);

const step = (attempt: number) => {
  const [created, committed, rebased, merged, conflict, archived, removed] = worktreeEvents(own, attempt) as [PehEvent, PehEvent, PehEvent, PehEvent, PehEvent, PehEvent, PehEvent];
  return { created, committed, rebased, merged, conflict, archived, removed };
};
const started = (attempt: number) => ev("TASK_STARTED", { task_id: own, attempt, worker_id: `${own}#${attempt}` });
const verifying = (attempt: number) => ev("TASK_VERIFYING", { task_id: own, attempt });
const completed = (attempt: number) => ev("TASK_COMPLETED", { task_id: own, attempt });
const classified = (attempt: number) => ev("FAILURE_CLASSIFIED", { task_id: own, attempt, class: "merge_conflict", rule: "merge conflict", evidence: "conflicting files: a.txt" });
const running = () => walk(fresh(), ev("TASK_READY", { task_id: own }), started(1));

describe("isolated task machine › when running", () => {
  it("takes the worktree's base from the plan's isolation, the task's own winning", () => {
    expect(fresh().context.isolated).toBe(true);
    expect(fresh("none").context.isolated).toBe(false);
    const own = initialTransition(taskMachine, { task: { id: "x" as TaskId, depends_on: [], idempotent: true, isolation: "none" }, isolation: "worktree" })[0];
    expect(own.context.isolated).toBe(false);
  });

  it("verifies only in a worktree made for this attempt", () => {
    expect(running().can(verifying(1))).toBe(false);
    expect(walk(running(), step(1).created).can(verifying(1))).toBe(true);
  });

  it("refuses a worktree for a task that is not isolated", () => {
    const plain = walk(fresh("none"), ev("TASK_READY", { task_id: own }), started(1));
    expect(plain.can(step(1).created)).toBe(false);
  });
});

describe("isolated task machine › after its acceptance tests pass", () => {
  const verified = () => walk(running(), step(1).created, verifying(1));

  it("does not complete before its commit is made and merged and its worktree removed", () => {
    expect(verified().can(completed(1))).toBe(false);
    const [merging, actions] = transition(taskMachine, verified(), step(1).committed);
    expect(merging.value).toBe("merging");
    expect(actions.map((a) => a.type)).toContain("mergeCommit");
    expect(merging.can(completed(1))).toBe(false);
    expect(merging.can(step(1).merged)).toBe(false);
    const merged = walk(merging, step(1).rebased, step(1).merged);
    expect(merged.can(completed(1))).toBe(false);
    const removed = walk(merged, step(1).removed);
    expect(walk(removed, completed(1)).value).toBe("succeeded");
  });

  it("may replay its commit again (a stale head after a crash) until it is merged, then never fails", () => {
    const rebased = walk(verified(), step(1).committed, step(1).rebased, step(1).rebased);
    expect(rebased.value).toBe("merging");
    const merged = walk(rebased, step(1).merged);
    expect(merged.can(step(1).merged)).toBe(false);
    expect(merged.can(step(1).conflict)).toBe(false);
    expect(merged.can(step(1).archived)).toBe(false);
  });

  it("fails on a conflict, keeps its work under an archive ref, and is classified only once its worktree is gone", () => {
    const failed = walk(verified(), step(1).committed, step(1).rebased, step(1).conflict);
    expect(failed.value).toBe("classifying");
    expect(failed.can(classified(1))).toBe(false);
    expect(failed.can(step(1).removed)).toBe(false);
    const archived = walk(failed, step(1).archived);
    expect(archived.can(classified(1))).toBe(false);
    const settled = walk(archived, step(1).removed, classified(1));
    expect(settled.value).toBe("classified");
    expect(settled.context.failure_class).toBe("merge_conflict");
  });

  it("starts its retry in a fresh worktree", () => {
    const retried = walk(
      verified(),
      step(1).committed,
      step(1).conflict,
      step(1).archived,
      step(1).removed,
      classified(1),
      ev("RECOVERY_ATTEMPTED", { task_id: own, next_attempt: 2, delay_ms: 0, due_at: "2026-01-15T14:23:45.000Z" }),
      started(2),
    );
    expect(retried.value).toBe("running");
    expect(retried.can(verifying(2))).toBe(false);
    expect(retried.can(step(2).created)).toBe(true);
  });
});

describe("isolated task machine › when interrupted", () => {
  it("resumes only after the interrupted attempt's worktree is archived and removed", () => {
    const interrupted = walk(running(), step(1).created, ev("TASK_INTERRUPTED", { task_id: own, attempt: 1, reason: "crash" }));
    expect(interrupted.can(started(2))).toBe(false);
    const kept = walk(interrupted, step(1).archived, step(1).removed);
    expect(kept.can(started(2))).toBe(true);
  });

  it("is skipped by an abort only after its worktree is archived and removed: no run ends with one", () => {
    const interrupted = walk(running(), step(1).created, ev("TASK_INTERRUPTED", { task_id: own, attempt: 1, reason: "the run was cancelled" }));
    const skip = ev("TASK_SKIPPED", { task_id: own, reason: "aborted" });
    expect(interrupted.can(skip)).toBe(false);
    expect(walk(interrupted, step(1).archived).can(skip)).toBe(false);
    expect(walk(interrupted, step(1).archived, step(1).removed, skip).value).toBe("skipped");
    // Caught mid-merge by a crash in a run that aborts: interrupted, its commit archived, then skipped.
    const merging = walk(running(), step(1).created, verifying(1), step(1).committed);
    expect(merging.value).toBe("merging");
    const caught = walk(merging, ev("TASK_INTERRUPTED", { task_id: own, attempt: 1, reason: "the run was aborted before its commit was merged" }));
    expect(caught.value).toBe("interrupted");
    expect(walk(caught, step(1).archived, step(1).removed, skip).value).toBe("skipped");
    // Once merged, it is not interrupted: its worktree is removed and it completes.
    expect(walk(merging, step(1).rebased, step(1).merged).can(ev("TASK_INTERRUPTED", { task_id: own, attempt: 1, reason: "x" }))).toBe(false);
    // Interrupted before its worktree was made: nothing to keep, skipped at once.
    expect(walk(running(), ev("TASK_INTERRUPTED", { task_id: own, attempt: 1, reason: "crash" }), skip).value).toBe("skipped");
  });
});
