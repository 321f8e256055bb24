// The task's one commit (commit_policy), made by peh after the acceptance tests pass: whatever
// the attempt left in its worktree, the agent's own commits included, squashed onto the base.
import { git, gitLine } from "./exec.js";
import { commitEnv, type GitRepo } from "./repo.js";
import { treeOfFiles } from "./snapshot.js";
import type { AttemptPlace } from "./worktree.js";

/**
 * The message of a task's commit: the objective's first line as the subject, the rest as body,
 * then trailers naming run, task and attempt (`git log --format=%(trailers)` reads them).
 */
export function taskCommitMessage(objective: string, place: AttemptPlace): string {
  const [subject, ...rest] = objective.trim().split("\n");
  const body = rest.join("\n").trim();
  const trailers = `Peh-Run: ${place.runId}\nPeh-Task: ${place.taskId}\nPeh-Attempt: ${place.attempt}\n`;
  return `${subject}\n\n${body === "" ? "" : `${body}\n\n`}${trailers}`;
}

export interface CommitOptions {
  readonly worktree: string;
  /** The attempt's recorded base: the squashed commit's only parent. */
  readonly base: string;
  readonly message: string;
  /** ISO time for the commit's dates: the same inputs make the same commit after a crash. */
  readonly at: string;
}

/**
 * Commits everything in the worktree (tracked and untracked, not ignored) as one commit on
 * `base`, and points the worktree's HEAD and index at it (its files are untouched and now clean).
 * Returns the commit. A task that changed nothing gets an empty commit: one commit per task.
 */
export async function commitAttempt(repo: GitRepo, options: CommitOptions): Promise<string> {
  const tree = await treeOfFiles({ dir: options.worktree, from: "HEAD" });
  const commit = await gitLine(["commit-tree", tree, "-p", options.base, "-F", "-"], {
    cwd: options.worktree,
    env: commitEnv(repo, options.at),
    input: options.message,
  });
  await git(["reset", "--quiet", commit], { cwd: options.worktree });
  return commit;
}
