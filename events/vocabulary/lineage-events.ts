// Lineage (DESIGN §15): where a run came from, recorded in its first event, and the event by
// which a rerun takes over a task's recorded result instead of running it again. History is never
// changed: a source's lineage (its descendants) is derived from the others' first events.
import { z } from "zod";
import { eventSchema } from "../envelope-base.js";
import { RunIdSchema, TaskIdSchema } from "../ids.js";
import { CheckEvidenceSchema } from "./task-events.js";

/** A task's recorded result in the source run: the TASK_COMPLETED a rerun takes over. */
export const ReusedResultSchema = z.object({
  task_id: TaskIdSchema,
  /** The seq of the source's TASK_COMPLETED. */
  source_seq: z.number().int().positive(),
  attempt: z.number().int().positive(),
  duration_ms: z.number().min(0).default(0),
  evidence: z.array(CheckEvidenceSchema).default([]),
});
export type ReusedResult = z.infer<typeof ReusedResultSchema>;

/**
 * A rerun (`peh rerun`): every task of `reused` is taken over from `source_run` (TASK_REUSED),
 * the rest run afresh; `from_task` is the task the rerun starts from (null: a redrive of what
 * failed or never ran). A fork (`peh fork`): the run's log begins with the source's events up
 * to `at_seq`, copied, and goes on from there.
 */
export const LineageSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("rerun"),
    source_run: RunIdSchema,
    from_task: TaskIdSchema.nullable(),
    reused: z.array(ReusedResultSchema),
  }),
  z.object({ kind: z.literal("fork"), source_run: RunIdSchema, at_seq: z.number().int().positive() }),
]);
export type Lineage = z.infer<typeof LineageSchema>;

/** A task of a rerun whose result is the source's: it settles as `reused`, never runs. */
export const TaskReusedSchema = eventSchema(
  "TASK_REUSED",
  ReusedResultSchema.extend({ source_run: RunIdSchema }),
);
export type TaskReused = z.infer<typeof TaskReusedSchema>;
