// Bringing a task's commit onto the run's branch head without a half-merged tree anywhere: the
// rebase is computed by `git merge-tree --write-tree` on objects alone (no worktree, no index, no
// rebase state to abort), so a conflict leaves every checkout exactly as it was.
import { git, gitLine } from "./exec.js";
import { commitEnv, type GitRepo } from "./repo.js";

export type Rebase =
  | { readonly ok: true; readonly commit: string; readonly moved: boolean }
  | { readonly ok: false; readonly files: readonly string[] };

/**
 * `commit` (one commit whose parent is an earlier head of the branch) replayed onto `onto`.
 * When its parent is `onto` already, it is returned unchanged (`moved: false`). Otherwise the
 * result is a new commit with the same message on `onto` (`moved: true`), or the files that
 * conflict. Relies on the branch moving only forward: the commit's parent is then the merge base.
 */
export async function rebaseCommit(repo: GitRepo, commit: string, onto: string, at: string): Promise<Rebase> {
  const parent = await gitLine(["rev-parse", `${commit}^`], { cwd: repo.top });
  if (parent === onto) return { ok: true, commit, moved: false };
  const merged = await git(["merge-tree", "--write-tree", "--name-only", "--no-messages", onto, commit], {
    cwd: repo.top,
    ok: [1],
  });
  const [tree, ...rest] = merged.stdout.split("\n").filter(Boolean);
  if (merged.code === 1) return { ok: false, files: [...new Set(rest)].sort() };
  const message = (await git(["log", "-1", "--format=%B", commit], { cwd: repo.top })).stdout;
  const rebased = await gitLine(["commit-tree", tree!, "-p", onto, "-F", "-"], {
    cwd: repo.top,
    env: commitEnv(repo, at),
    input: message.replace(/\n+$/, "\n"),
  });
  return { ok: true, commit: rebased, moved: true };
}

/**
 * Moves a clean worktree to `commit` (the rebased commit, so its acceptance tests run on the tree
 * that will be merged). Git refuses rather than overwrite anything local.
 */
export async function checkoutWorktree(worktree: string, commit: string): Promise<void> {
  await git(["checkout", "--quiet", "--detach", commit], { cwd: worktree });
}
