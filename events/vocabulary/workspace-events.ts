// Isolated work in git (DESIGN §11): the run's branch, each attempt's worktree, the task's commit,
// the merge onto the run's branch or the conflict, the archive of a failed attempt, the landing.
// Every git step peh takes is one of these, recorded before the next step starts.
import { z } from "zod";
import { eventSchema } from "../envelope-base.js";
import { TaskIdSchema } from "../ids.js";
import { CheckEvidenceSchema } from "./task-events.js";

const task = { task_id: TaskIdSchema };
const attempt = z.number().int().positive();
/** A commit's full object name (SHA-1 or SHA-256). */
const commit = z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "a full commit name in hex");

/**
 * A rerun's reused task (issue 22) on the rerun's branch: its commit on the source's branch, and
 * the same change on this one (that very commit, or its replay when a task that runs afresh came
 * before it on the source's branch).
 */
export const ReusedCommitSchema = z.object({ ...task, source_commit: commit, commit });
export type ReusedCommit = z.infer<typeof ReusedCommitSchema>;

/**
 * `peh/<run>` made from the user's HEAD; `snapshot` when uncommitted changes became its first
 * commit. A rerun of a run that had a branch starts at its source's `base` instead, with the
 * reused tasks' commits on it in the source's order (`reused`; the branch's head is the last).
 */
export const RunBranchStartedSchema = eventSchema(
  "RUN_BRANCH_STARTED",
  z.object({ branch: z.string().min(1), head: commit.nullable(), base: commit, snapshot: z.boolean(), reused: z.array(ReusedCommitSchema).optional() }),
);
export type RunBranchStarted = z.infer<typeof RunBranchStartedSchema>;

/** `peh land`: the user's branch fast-forwarded from `from` to the run's branch at `to`. */
export const RunLandedSchema = eventSchema(
  "RUN_LANDED",
  z.object({ branch: z.string().min(1), from: commit, to: commit }),
);
export type RunLanded = z.infer<typeof RunLandedSchema>;

/** The attempt's worktree, made at `base`: the run's branch head when the attempt started. */
export const WorktreeCreatedSchema = eventSchema(
  "WORKTREE_CREATED",
  z.object({ ...task, attempt, path: z.string().min(1), base: commit }),
);
export type WorktreeCreated = z.infer<typeof WorktreeCreatedSchema>;

/**
 * The task's one commit on the attempt's base, made by peh after its acceptance tests passed in
 * the worktree (`evidence`, `duration_ms`: those checks, as TASK_COMPLETED reports them later).
 */
export const TaskCommittedSchema = eventSchema(
  "TASK_COMMITTED",
  z.object({ ...task, attempt, base: commit, commit, duration_ms: z.number().min(0).default(0), evidence: z.array(CheckEvidenceSchema).default([]) }),
);
export type TaskCommitted = z.infer<typeof TaskCommittedSchema>;

/**
 * The merge queue's intent: the task's commit replayed onto the branch head `onto` is `commit`
 * (the same commit when the head had not moved). Recorded before the branch moves, so a crash
 * between the two resumes by finishing the same move.
 */
export const TaskRebasedSchema = eventSchema("TASK_REBASED", z.object({ ...task, attempt, onto: commit, commit }));
export type TaskRebased = z.infer<typeof TaskRebasedSchema>;

/**
 * `peh/<run>` moved from `onto` to `commit`. `evidence`: the acceptance tests run again on the
 * rebased tree when the head had moved since the attempt's base (empty when it had not).
 */
export const TaskMergedSchema = eventSchema(
  "TASK_MERGED",
  z.object({ ...task, attempt, onto: commit, commit, evidence: z.array(CheckEvidenceSchema).default([]) }),
);
export type TaskMerged = z.infer<typeof TaskMergedSchema>;

/** A failed or interrupted attempt's worktree, kept as `commit` under `ref` before it is removed. */
export const WorktreeArchivedSchema = eventSchema(
  "WORKTREE_ARCHIVED",
  z.object({ ...task, attempt, ref: z.string().startsWith("refs/peh/"), commit }),
);
export type WorktreeArchived = z.infer<typeof WorktreeArchivedSchema>;

/** The attempt's worktree is gone; its work is on the run's branch or under its archive ref. */
export const WorktreeRemovedSchema = eventSchema("WORKTREE_REMOVED", z.object({ ...task, attempt, path: z.string().min(1) }));
export type WorktreeRemoved = z.infer<typeof WorktreeRemovedSchema>;
