import { describe, expect, it } from "vitest";
import { initialTransition, transition } from "xstate";
import type { PehEvent, TaskId } from "../../events/index.js";
import { taskMachine } from "../../machines/task.js";
import { ev } from "../support/events.js";

const t = (id: string) => id as TaskId;
const input = (id: string, depends_on: string[] = [], idempotent = true) => ({
  task: { id: t(id), depends_on: depends_on.map(t), idempotent },
});
const fresh = (id = "deploy", deps: string[] = [], idempotent = true) => initialTransition(taskMachine, input(id, deps, idempotent))[0];
type Snapshot = ReturnType<typeof fresh>;
const walk = (snapshot: Snapshot, ...events: PehEvent[]) =>
  events.reduce((s, event) => transition(taskMachine, s, event)[0], snapshot);

const own = "build";
const started = (attempt = 1) => ev("TASK_STARTED", { task_id: own, attempt, worker_id: `${own}#${attempt}` });
const failed = (attempt = 1) =>
  ev("TASK_FAILED", { task_id: own, attempt, stage: "run", error: { code: "EXIT", message: "exit 1" }, exit_code: 1 });
const classified = (attempt = 1) =>
  ev("FAILURE_CLASSIFIED", { task_id: own, attempt, class: "transient", rule: "ETIMEDOUT", evidence: "ETIMEDOUT" });
const escalated = ev("RECOVERY_ESCALATION", { task_id: own, class: "logic_error", reason: "out of retries", choices: ["retry", "skip", "abort"] });
const decided = (decision: "retry" | "skip" | "abort", task_id = own) => ev("DECISION_RECORDED", { task_id, decision });
const running = () => walk(fresh(own), ev("TASK_READY", { task_id: own }), started());

describe("task machine › when pending", () => {
  it("becomes ready at once when it has no dependencies", () => {
    expect(walk(fresh(own), ev("TASK_READY", { task_id: own })).value).toBe("ready");
  });

  it("is not ready before every dependency settled", () => {
    const task = fresh("deploy", ["test", "lint"]);
    const afterTest = walk(task, ev("TASK_COMPLETED", { task_id: "test", attempt: 1 }));
    expect(afterTest.context.settled).toBe(1);
    expect(afterTest.can(ev("TASK_READY", { task_id: "deploy" }))).toBe(false);
    const afterBoth = walk(afterTest, ev("TASK_COMPLETED", { task_id: "lint", attempt: 1 }));
    expect(afterBoth.can(ev("TASK_READY", { task_id: "deploy" }))).toBe(true);
  });

  it("counts a dependency skipped by a human as settled, and an upstream failure not", () => {
    const task = fresh("deploy", ["test"]);
    expect(walk(task, decided("skip", "test")).context.settled).toBe(1);
    expect(walk(task, decided("abort", "test")).context.settled).toBe(0);
    expect(walk(task, ev("TASK_SKIPPED", { task_id: "test", reason: "upstream_failed" })).context.settled).toBe(0);
  });

  it("ignores the completion of a task it does not depend on", () => {
    expect(fresh("deploy", ["test"]).can(ev("TASK_COMPLETED", { task_id: "other", attempt: 1 }))).toBe(false);
  });

  it("cannot start before it is ready", () => {
    expect(fresh(own).can(started())).toBe(false);
  });

  it("is skipped as upstream_failed when the run aborts below a failure", () => {
    const skipped = walk(fresh(own), ev("TASK_SKIPPED", { task_id: own, reason: "upstream_failed" }));
    expect(skipped.value).toBe("upstream_failed");
    expect(skipped.status).toBe("done");
  });
});

describe("task machine › when running", () => {
  it("starts the worker when it starts, with attempt 1", () => {
    const ready = walk(fresh(own), ev("TASK_READY", { task_id: own }));
    expect(ready.can(started(2))).toBe(false);
    const [next, actions] = transition(taskMachine, ready, started());
    expect(next.value).toBe("running");
    expect(next.context.attempt).toBe(1);
    expect(actions.map((a) => a.type)).toContain("startWorker");
  });

  it("moves to verifying when the process exits 0, then succeeds", () => {
    const verifying = walk(running(), ev("TASK_VERIFYING", { task_id: own, attempt: 1 }));
    expect(verifying.value).toBe("verifying");
    expect(walk(verifying, ev("TASK_COMPLETED", { task_id: own, attempt: 1 })).value).toBe("succeeded");
  });

  it("refuses events of another attempt", () => {
    expect(running().can(ev("TASK_VERIFYING", { task_id: own, attempt: 2 }))).toBe(false);
  });

  it("goes to classifying on failure and asks for a classification", () => {
    const [next, actions] = transition(taskMachine, running(), failed());
    expect(next.value).toBe("classifying");
    expect(actions.map((a) => a.type)).toContain("classifyFailure");
  });

  it("is interrupted by a crash", () => {
    expect(walk(running(), ev("TASK_INTERRUPTED", { task_id: own, attempt: 1, reason: "orchestrator died" })).value).toBe("interrupted");
  });
});

describe("task machine › after a failure", () => {
  const afterClassified = () => walk(running(), failed(), classified());

  it("schedules a retry of the next attempt, then runs it", () => {
    const scheduled = walk(
      afterClassified(),
      ev("RECOVERY_ATTEMPTED", { task_id: own, next_attempt: 2, delay_ms: 5000, due_at: "2026-01-15T14:23:50.000Z" }),
    );
    expect(scheduled.value).toBe("retry_scheduled");
    expect(scheduled.context.failure_class).toBe("transient");
    expect(walk(scheduled, started(2)).value).toBe("running");
  });

  it("refuses to record a success after a failure without a new attempt", () => {
    expect(afterClassified().can(ev("TASK_COMPLETED", { task_id: own, attempt: 1 }))).toBe(false);
  });

  it("waits for a human after an escalation, and follows the decision", () => {
    const waiting = walk(afterClassified(), escalated);
    expect(waiting.value).toBe("awaiting_decision");
    expect(walk(waiting, decided("retry")).value).toBe("retry_scheduled");
    expect(walk(waiting, decided("skip")).value).toBe("skipped");
    expect(walk(waiting, decided("abort")).value).toBe("failed");
  });

  it("notes RECOVERY_SUCCEEDED only on a retry attempt", () => {
    const verifying1 = walk(running(), ev("TASK_VERIFYING", { task_id: own, attempt: 1 }));
    expect(verifying1.can(ev("RECOVERY_SUCCEEDED", { task_id: own, attempt: 1 }))).toBe(false);
    const verifying2 = walk(
      afterClassified(),
      ev("RECOVERY_ATTEMPTED", { task_id: own, next_attempt: 2, delay_ms: 0, due_at: "2026-01-15T14:23:50.000Z" }),
      started(2),
      ev("TASK_VERIFYING", { task_id: own, attempt: 2 }),
    );
    expect(verifying2.can(ev("RECOVERY_SUCCEEDED", { task_id: own, attempt: 2 }))).toBe(true);
  });
});

describe("task machine › when interrupted", () => {
  const interrupted = (idempotent: boolean) =>
    walk(
      fresh(own, [], idempotent),
      ev("TASK_READY", { task_id: own }),
      started(),
      ev("TASK_INTERRUPTED", { task_id: own, attempt: 1, reason: "crash" }),
    );

  it("re-runs an idempotent task", () => {
    expect(interrupted(true).can(started(2))).toBe(true);
  });

  it("escalates a task that is not idempotent instead of re-running it", () => {
    expect(interrupted(false).can(started(2))).toBe(false);
    expect(walk(interrupted(false), escalated).value).toBe("awaiting_decision");
  });
});

describe("task machine › when its retry waits for its due time", () => {
  const due = "2026-01-16T14:23:45.000Z";
  const scheduled = () =>
    walk(running(), failed(), classified(), ev("RECOVERY_ATTEMPTED", { task_id: own, next_attempt: 2, delay_ms: 86_400_000, due_at: due }));
  const now = (waived_due_at = due, next_attempt = 2) => ev("RECOVERY_EXPEDITED", { task_id: own, next_attempt, waived_due_at });

  it("runs it now on a human's word: the wait is dropped and the budget reset", () => {
    const expedited = walk(scheduled(), now());
    expect(expedited.value).toBe("retry_scheduled");
    expect(expedited.context).toMatchObject({ due_at: null, retries: 0 });
    expect(expedited.can(started(2))).toBe(true);
  });

  it("refuses a run-now for another wait or another attempt, and once the wait is gone", () => {
    expect(scheduled().can(now("2026-01-16T14:00:00.000Z"))).toBe(false);
    expect(scheduled().can(now(due, 3))).toBe(false);
    expect(walk(scheduled(), now()).can(now())).toBe(false);
    expect(running().can(now())).toBe(false);
  });
});

describe("task machine › when not idempotent", () => {
  const failedOnce = (recovery?: { transient: { max_retries: number } }) =>
    walk(
      initialTransition(taskMachine, { task: { id: t(own), depends_on: [], idempotent: false, ...(recovery ? { recovery } : {}) } })[0],
      ev("TASK_READY", { task_id: own }),
      started(),
      failed(),
      classified(),
    );
  const retry = ev("RECOVERY_ATTEMPTED", { task_id: own, next_attempt: 2, delay_ms: 0, due_at: "2026-01-15T14:23:50.000Z" });

  it("refuses an automatic retry, whatever its policy allows", () => {
    expect(failedOnce().can(retry)).toBe(false);
    expect(failedOnce({ transient: { max_retries: 3 } }).can(retry)).toBe(false);
    expect(failedOnce().context.budget.transient).toBe(0);
  });

  it("runs again after a human's retry, and only after one", () => {
    const waiting = walk(failedOnce(), escalated);
    expect(waiting.value).toBe("awaiting_decision");
    const retried = walk(waiting, decided("retry"));
    expect(retried.value).toBe("retry_scheduled");
    expect(retried.can(started(2))).toBe(true);
    expect(walk(retried, started(2), failed(2), classified(2)).can({ ...retry, data: { ...retry.data, next_attempt: 3 } })).toBe(false);
  });
});

describe("task machine › terminal states are final", () => {
  it("accepts nothing of its own after succeeding", () => {
    const done = walk(running(), ev("TASK_VERIFYING", { task_id: own, attempt: 1 }), ev("TASK_COMPLETED", { task_id: own, attempt: 1 }));
    expect(done.status).toBe("done");
    for (const event of [started(2), failed(), decided("retry"), ev("TASK_SKIPPED", { task_id: own, reason: "aborted" })]) {
      expect(done.can(event)).toBe(false);
    }
  });
});
