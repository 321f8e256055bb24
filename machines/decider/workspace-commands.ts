// The commands of isolated work (DESIGN §11): each git step peh took, reported by the runtime for
// the decider to turn into its event. Parsed at the boundary like every command.
import { z } from "zod";
import { ActorSchema, CheckEvidenceSchema, TaskIdSchema, ViaSchema } from "../../events/index.js";

const base = { actor: ActorSchema.default("system"), via: ViaSchema.optional(), at: z.iso.datetime() };
const command = <const T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ type: z.literal(type), ...base, ...shape });
const commit = z.string().min(1);
const task_id = TaskIdSchema;

const reusedCommit = z.object({ task_id, source_commit: commit, commit });
/** `reused`: a rerun's branch, started at its source's base with the reused tasks' commits (issue 22). */
export const StartRunBranchSchema = command("StartRunBranch", { branch: z.string().min(1), head: commit.nullable(), base: commit, snapshot: z.boolean(), reused: z.array(reusedCommit).optional() });
export const RecordWorktreeSchema = command("RecordWorktree", { task_id, path: z.string().min(1), base: commit });
export const RecordRebaseSchema = command("RecordRebase", { task_id, onto: commit, commit });
export const RecordConflictSchema = command("RecordConflict", { task_id, onto: commit, files: z.array(z.string()) });
/** The branch moved; `evidence`: the acceptance tests run again on the rebased tree (a failing one fails the attempt). */
export const RecordMergeSchema = command("RecordMerge", { task_id, onto: commit, commit, evidence: z.array(CheckEvidenceSchema).default([]) });
export const RecordArchiveSchema = command("RecordArchive", { task_id, ref: z.string().min(1), commit });
/** The worktree is gone; a merged attempt then completes with the checks it passed (`evidence`). */
export const RecordWorktreeRemovedSchema = command("RecordWorktreeRemoved", {
  task_id,
  path: z.string().min(1),
  evidence: z.array(CheckEvidenceSchema).default([]),
  duration_ms: z.number().min(0).default(0),
});
export const RecordLandingSchema = command("RecordLanding", { branch: z.string().min(1), from: commit, to: commit });

export const WORKSPACE_COMMANDS = [
  StartRunBranchSchema,
  RecordWorktreeSchema,
  RecordRebaseSchema,
  RecordConflictSchema,
  RecordMergeSchema,
  RecordArchiveSchema,
  RecordWorktreeRemovedSchema,
  RecordLandingSchema,
] as const;
