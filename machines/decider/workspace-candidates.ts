// Pure. The candidate events of isolated work's commands (workspace-commands.ts), for the decider,
// which stamps and checks each with the machines: the task machine decides whether the step may
// happen now (a worktree for this attempt, a merge only after a rebase, completion only when the
// commit is on the branch and the worktree removed).
import { PehError, type TaskId } from "../../events/index.js";
import type { Candidate, Legality } from "./candidate.js";
import type { Command } from "./commands.js";
import type { RunState } from "../fold/run.js";

export type WorkspaceCommand = Extract<
  Command,
  { type: "StartRunBranch" | "RecordWorktree" | "RecordRebase" | "RecordConflict" | "RecordMerge" | "RecordArchive" | "RecordWorktreeRemoved" | "RecordLanding" }
>;

function attemptOf(state: RunState, id: TaskId): number {
  const snapshot = state.tasks.get(id);
  if (!snapshot) throw new PehError("USAGE", `unknown task "${id}"`, `the tasks of this run are: ${[...state.tasks.keys()].join(", ") || "none"}`);
  return snapshot.context.attempt;
}

export function* workspaceCandidates(state: RunState, command: WorkspaceCommand, legal: Legality): Generator<Candidate, void, unknown> {
  switch (command.type) {
    case "StartRunBranch":
      yield {
        type: "RUN_BRANCH_STARTED",
        data: { branch: command.branch, head: command.head, base: command.base, snapshot: command.snapshot, ...(command.reused ? { reused: command.reused } : {}) },
      };
      return;
    case "RecordWorktree":
      yield { type: "WORKTREE_CREATED", data: { task_id: command.task_id, attempt: attemptOf(state, command.task_id), path: command.path, base: command.base } };
      return;
    case "RecordRebase":
      yield { type: "TASK_REBASED", data: { task_id: command.task_id, attempt: attemptOf(state, command.task_id), onto: command.onto, commit: command.commit } };
      return;
    case "RecordConflict": {
      const files = command.files.join(", ") || "(git named none)";
      yield {
        type: "TASK_FAILED",
        data: {
          task_id: command.task_id,
          attempt: attemptOf(state, command.task_id),
          stage: "merge",
          error: { code: "MERGE_CONFLICT", message: `the task's commit conflicts with the run's branch at ${command.onto.slice(0, 10)} in: ${files}` },
          conflicts: command.files,
        },
      };
      return;
    }
    case "RecordMerge": {
      const attempt = attemptOf(state, command.task_id);
      const failed = command.evidence.find((check) => check.exit_code !== 0);
      if (failed !== undefined) {
        yield {
          type: "TASK_FAILED",
          data: {
            task_id: command.task_id,
            attempt,
            stage: "verify",
            error: { code: "ACCEPTANCE_FAILED", message: `acceptance test failed on the rebased tree (exit ${failed.exit_code}): ${failed.command}` },
            exit_code: failed.exit_code,
            evidence: command.evidence,
          },
        };
        return;
      }
      yield { type: "TASK_MERGED", data: { task_id: command.task_id, attempt, onto: command.onto, commit: command.commit, evidence: command.evidence } };
      return;
    }
    case "RecordArchive":
      yield { type: "WORKTREE_ARCHIVED", data: { task_id: command.task_id, attempt: attemptOf(state, command.task_id), ref: command.ref, commit: command.commit } };
      return;
    case "RecordWorktreeRemoved": {
      const { task_id, evidence, duration_ms } = command;
      const attempt = attemptOf(state, task_id);
      yield { type: "WORKTREE_REMOVED", data: { task_id, attempt, path: command.path } };
      // A merged attempt is done once its worktree is gone (the machine says whether it is).
      const completed: Candidate = { type: "TASK_COMPLETED", data: { task_id, attempt, duration_ms, evidence } };
      if (!legal(completed)) return;
      const recovered: Candidate = { type: "RECOVERY_SUCCEEDED", data: { task_id, attempt } };
      if (legal(recovered)) yield recovered;
      yield completed;
      return;
    }
    case "RecordLanding":
      yield { type: "RUN_LANDED", data: { branch: command.branch, from: command.from, to: command.to } };
      return;
    default: {
      const unhandled: never = command;
      throw new Error(`undecided command ${JSON.stringify(unhandled)}`);
    }
  }
}
