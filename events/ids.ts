// Branded identifiers: a TaskId cannot stand in for a RunId. Parse at the boundary to get one.
import { z } from "zod";

const slug = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const RunIdSchema = z.string().regex(slug, "a run id is ASCII letters, digits, '.', '_' or '-'").brand<"RunId">();
export type RunId = z.infer<typeof RunIdSchema>;

export const TaskIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(slug, "a task id starts with an ASCII letter or digit and holds only ASCII letters, digits, '.', '_' or '-'")
  .brand<"TaskId">();
export type TaskId = z.infer<typeof TaskIdSchema>;

/** `<task id>#<attempt>`: one worker per task attempt. */
export const WorkerIdSchema = z.string().min(1).max(160).brand<"WorkerId">();
export type WorkerId = z.infer<typeof WorkerIdSchema>;

export const EventIdSchema = z.string().min(1).brand<"EventId">();
export type EventId = z.infer<typeof EventIdSchema>;

export function workerIdFor(taskId: TaskId, attempt: number): WorkerId {
  return `${taskId}#${attempt}` as WorkerId;
}
