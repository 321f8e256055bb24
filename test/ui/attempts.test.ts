// projections/attempts.ts: one record per attempt, a retry its own, each with how it ended.
import { describe, expect, it } from "vitest";
import { attemptsOf } from "../../projections/attempts.js";
import { ev } from "../support/events.js";

const task_id = "build";
const at = (event: ReturnType<typeof ev>, iso: string) => ({ ...event, at: iso });

describe("attemptsOf", () => {
  const log = [
    at(ev("TASK_STARTED", { task_id, attempt: 1, worker_id: "build#1" }, 1), "2026-01-15T14:00:00.000Z"),
    at(ev("TASK_FAILED", { task_id, attempt: 1, stage: "run", error: { code: "EXIT", message: "exit 1" }, exit_code: 1 }, 2), "2026-01-15T14:00:02.500Z"),
    ev("FAILURE_CLASSIFIED", { task_id, attempt: 1, class: "transient", rule: "ECONNRESET", evidence: "ECONNRESET while fetching" }, 3),
    at(ev("TASK_STARTED", { task_id, attempt: 2, worker_id: "build#2" }, 4), "2026-01-15T14:00:03.000Z"),
    ev("TASK_VERIFYING", { task_id, attempt: 2 }, 5),
  ];

  it("records a failed attempt with its class, error and duration, and a retry as an attempt of its own", () => {
    const [first, second] = attemptsOf(log).get(task_id)!;
    expect(first).toMatchObject({ attempt: 1, outcome: "failed", duration_ms: 2500, class: "transient", class_evidence: "ECONNRESET while fetching", exit_code: 1, stage: "run", error: { code: "EXIT" } });
    expect(second).toMatchObject({ attempt: 2, outcome: "verifying", ended_at: null, started_seq: 4 });
  });

  it("goes on from a map it returned, as a live view folds each event once", () => {
    const completed = at(ev("TASK_COMPLETED", { task_id, attempt: 2, evidence: [{ command: "true", exit_code: 0, duration_ms: 3 }] }, 6), "2026-01-15T14:00:04.000Z");
    const live = attemptsOf([completed], attemptsOf(log));
    expect(live).toEqual(attemptsOf([...log, completed]));
    expect(live.get(task_id)![1]).toMatchObject({ outcome: "succeeded", duration_ms: 1000, evidence: [{ command: "true" }] });
  });
});
