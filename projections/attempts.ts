// Pure. Every attempt of every task, from the log: when it started and ended, how it ended, its
// failure class, its evidence and its error. What `peh ui` draws as one timeline bar per attempt
// and lists in a task's details; a retry is an attempt of its own.
import type { CheckEvidence, PehEvent } from "../events/index.js";

export interface AttemptRecord {
  task_id: string;
  attempt: number;
  worker_id: string;
  /** running until it ends; then succeeded, failed or interrupted (a crash or a drain). */
  outcome: "running" | "verifying" | "succeeded" | "failed" | "interrupted";
  started_at: string;
  started_seq: number;
  ended_at: string | null;
  ended_seq: number | null;
  duration_ms: number | null;
  class: string | null;
  /** What the classifier matched, quoted from the output. */
  class_evidence: string | null;
  evidence: CheckEvidence[];
  error: { code: string; message: string } | null;
  exit_code: number | null;
  stage: "run" | "verify" | "merge" | null;
}

/**
 * The attempts of each task, in order, as of the last event given. Pass the map a call returned
 * to go on from there with the events after it (a live view folds each event once).
 */
export function attemptsOf(events: Iterable<PehEvent>, byTask = new Map<string, AttemptRecord[]>()): Map<string, AttemptRecord[]> {
  const find = (task: string, attempt: number) => byTask.get(task)?.find((record) => record.attempt === attempt);
  for (const event of events) {
    switch (event.type) {
      case "TASK_STARTED": {
        const list = byTask.get(event.data.task_id) ?? [];
        list.push({
          task_id: event.data.task_id,
          attempt: event.data.attempt,
          worker_id: event.data.worker_id,
          outcome: "running",
          started_at: event.at,
          started_seq: event.seq,
          ended_at: null,
          ended_seq: null,
          duration_ms: null,
          class: null,
          class_evidence: null,
          evidence: [],
          error: null,
          exit_code: null,
          stage: null,
        });
        byTask.set(event.data.task_id, list);
        break;
      }
      case "TASK_VERIFYING": {
        const record = find(event.data.task_id, event.data.attempt);
        if (record) record.outcome = "verifying";
        break;
      }
      case "TASK_COMPLETED":
      case "TASK_FAILED":
      case "TASK_INTERRUPTED": {
        const record = find(event.data.task_id, event.data.attempt);
        if (!record) break;
        record.ended_at = event.at;
        record.ended_seq = event.seq;
        record.duration_ms = Date.parse(event.at) - Date.parse(record.started_at);
        if (event.type === "TASK_COMPLETED") {
          record.outcome = "succeeded";
          record.evidence = event.data.evidence;
        } else if (event.type === "TASK_FAILED") {
          record.outcome = "failed";
          record.evidence = event.data.evidence;
          record.error = event.data.error;
          record.exit_code = event.data.exit_code;
          record.stage = event.data.stage;
        } else {
          record.outcome = "interrupted";
          record.error = { code: "INTERRUPTED", message: event.data.reason };
        }
        break;
      }
      case "FAILURE_CLASSIFIED": {
        const record = find(event.data.task_id, event.data.attempt);
        if (record) {
          record.class = event.data.class;
          record.class_evidence = event.data.evidence;
        }
        break;
      }
      default:
        break;
    }
  }
  return byTask;
}
