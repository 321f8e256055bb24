// `peh land`: the user asks to bring a run's branch into the branch they have checked out. Only
// a fast-forward is done (git's own `merge --ff-only`, which refuses rather than overwrite local
// changes); anything else is said, with the exact command, and left to the user.
import { git } from "./exec.js";
import { resolveCommit, type GitRepo } from "./repo.js";
import { runBranch, runBranchRef } from "./run-branch.js";

export type Landing =
  | { readonly landed: true; readonly branch: string; readonly from: string; readonly to: string; readonly already: boolean }
  | { readonly landed: false; readonly reason: string; readonly command: string };

/** Brings `peh/<run>` into the user's current branch when that is a fast-forward; else says how. */
export async function landRun(repo: GitRepo, runId: string): Promise<Landing> {
  const source = runBranch(runId);
  const to = await resolveCommit(repo, runBranchRef(runId));
  if (to === null) return { landed: false, reason: `there is no branch ${source} in ${repo.top}`, command: `peh status ${runId}` };
  const current = await git(["symbolic-ref", "--quiet", "HEAD"], { cwd: repo.top, ok: [1] });
  if (current.code !== 0) {
    return { landed: false, reason: "HEAD is detached: there is no branch of yours to bring it into", command: `git switch -c <new-branch> ${source}` };
  }
  const branch = current.stdout.trim().replace(/^refs\/heads\//, "");
  const from = await resolveCommit(repo, "HEAD");
  if (from === to) return { landed: true, branch, from: to, to, already: true };
  const ancestor = from === null ? { code: 0 } : await git(["merge-base", "--is-ancestor", from, to], { cwd: repo.top, ok: [1] });
  if (ancestor.code !== 0) {
    return {
      landed: false,
      reason: `${branch} has commits that ${source} does not: it is not a fast-forward`,
      command: `git merge ${source}   # or: git rebase ${branch} ${source} && git switch ${branch} && git merge --ff-only ${source}`,
    };
  }
  const merged = await git(["merge", "--ff-only", "--quiet", source], { cwd: repo.top, ok: [1, 128] });
  if (merged.code !== 0) {
    return {
      landed: false,
      reason: `git refused to fast-forward ${branch}: ${(merged.stderr || merged.stdout).trim()}`,
      command: `git stash push --include-untracked && git merge --ff-only ${source} && git stash pop`,
    };
  }
  return { landed: true, branch, from: from ?? to, to, already: false };
}
