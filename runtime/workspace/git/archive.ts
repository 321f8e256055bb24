// A failed attempt's worktree kept under `refs/peh/<run>/<task>/<attempt>`: a commit of its files
// (tracked and untracked, not ignored) on top of whatever it had committed, so the retry can
// start clean and nothing the attempt did is lost.
import { git, gitLine } from "./exec.js";
import { commitEnv, resolveCommit, type GitRepo } from "./repo.js";
import { treeOfFiles } from "./snapshot.js";
import type { AttemptPlace } from "./worktree.js";

export function archiveRef(place: AttemptPlace): string {
  return `refs/peh/${place.runId}/${place.taskId}/${place.attempt}`;
}

/**
 * Archives the worktree's state under `archiveRef(place)` and points the worktree's HEAD and
 * index at the archive commit (its files untouched, now clean, so it can be removed without
 * force). Idempotent: an archive ref that exists already is kept and returned.
 */
export async function archiveWorktree(repo: GitRepo, worktree: string, place: AttemptPlace, at: string): Promise<string> {
  const ref = archiveRef(place);
  const existing = await resolveCommit(repo, ref);
  if (existing !== null) {
    await git(["reset", "--quiet", existing], { cwd: worktree });
    return existing;
  }
  const head = await gitLine(["rev-parse", "HEAD"], { cwd: worktree });
  const tree = await treeOfFiles({ dir: worktree, from: head });
  const message = `peh: archive of attempt ${place.attempt} of task ${place.taskId}\n\nPeh-Run: ${place.runId}\nPeh-Task: ${place.taskId}\nPeh-Attempt: ${place.attempt}\n`;
  const commit = await gitLine(["commit-tree", tree, "-p", head, "-F", "-"], { cwd: worktree, env: commitEnv(repo, at), input: message });
  await git(["update-ref", "-m", `peh: archive ${place.taskId}#${place.attempt}`, ref, commit, ""], { cwd: repo.top });
  await git(["reset", "--quiet", commit], { cwd: worktree });
  return commit;
}
