// A rerun's branch (DESIGN §15, issue 22): `peh/<rerun>` made from its source's base and the
// reused tasks' commits, in the order they are on the source's branch. Objects only (no worktree,
// no index, no rebase state); the ref is made once, with a compare-and-swap from "absent".
import { PehError, type ReusedCommit, type TaskId } from "../../../events/index.js";
import { git, gitLine } from "./exec.js";
import { commitEnv, resolveCommit, type GitRepo } from "./repo.js";
import { runBranch, runBranchRef } from "./run-branch.js";

export type Replay = { readonly ok: true; readonly commit: string } | { readonly ok: false; readonly files: readonly string[] };

/**
 * `commit`'s own change (against its parent, not against `onto`) applied onto `onto` by a three-way
 * merge whose base is the commit's parent: a cherry-pick, computed by `merge-tree --write-tree`.
 * git 2.39's merge-tree has no `--merge-base`, so the base is imposed by merging two commits made
 * for the purpose, each with only the parent's tree as ancestor (unreferenced; git's gc drops them).
 * The replay keeps the message and author, and takes the source commit's committer date, so the
 * same inputs make the same commit whenever it is computed (`peh rerun`, a resumed run).
 */
export async function replayCommit(repo: GitRepo, commit: string, onto: string): Promise<Replay> {
  const cwd = repo.top;
  const [parentTree, tree, ontoTree] = await Promise.all([`${commit}^^{tree}`, `${commit}^{tree}`, `${onto}^{tree}`].map((rev) => gitLine(["rev-parse", rev], { cwd })));
  const fixed = commitEnv(repo, "2000-01-01T00:00:00Z");
  const made = (args: string[]) => gitLine(["commit-tree", ...args, "-m", "peh: replay"], { cwd, env: fixed });
  const base = await made([parentTree!]);
  const [ours, theirs] = await Promise.all([made([ontoTree!, "-p", base]), made([tree!, "-p", base])]);
  const merged = await git(["merge-tree", "--write-tree", "--name-only", "--no-messages", ours, theirs], { cwd, ok: [1] });
  const [result, ...rest] = merged.stdout.split("\n").filter(Boolean);
  if (merged.code === 1) return { ok: false, files: [...new Set(rest)].sort() };
  const [message, author] = await Promise.all([
    git(["log", "-1", "--format=%B", commit], { cwd }).then((r) => r.stdout.replace(/\n+$/, "\n")),
    gitLine(["log", "-1", "--format=%an%x00%ae%x00%aI%x00%cI", commit], { cwd }),
  ]);
  const [name, email, authored, committed] = author.split("\0");
  const env = { ...commitEnv(repo, committed), GIT_AUTHOR_NAME: name!, GIT_AUTHOR_EMAIL: email!, GIT_AUTHOR_DATE: authored! };
  return { ok: true, commit: await gitLine(["commit-tree", result!, "-p", onto, "-F", "-"], { cwd, env, input: message }) };
}

export type ReusedChain =
  | { readonly ok: true; readonly head: string; readonly reused: ReusedCommit[] }
  | { readonly ok: false; readonly task_id: TaskId; readonly files: readonly string[] };

/**
 * The reused tasks' commits stacked on `base`, in the order given (the source branch's). A commit
 * whose parent is the stack's head so far is taken as it is (the same commit: while no task that
 * runs afresh came before it on the source's branch); every later one is replayed. Stops at the
 * first that conflicts, naming it.
 */
export async function reusedChain(repo: GitRepo, base: string, commits: readonly { task_id: TaskId; commit: string }[]): Promise<ReusedChain> {
  let head = base;
  const reused: ReusedCommit[] = [];
  for (const { task_id, commit } of commits) {
    if ((await resolveCommit(repo, commit)) === null) {
      throw new PehError("GIT_FAILED", `the commit ${commit.slice(0, 10)} of task ${task_id} is no longer in ${repo.top}`, "it was removed outside peh (a deleted branch and a gc): rerun from that task with --from, so that it runs afresh");
    }
    const parent = await gitLine(["rev-parse", `${commit}^`], { cwd: repo.top });
    const replayed: Replay = parent === head ? { ok: true, commit } : await replayCommit(repo, commit, head);
    if (!replayed.ok) return { ok: false, task_id, files: replayed.files };
    reused.push({ task_id, source_commit: commit, commit: replayed.commit });
    head = replayed.commit;
  }
  return { ok: true, head, reused };
}

/**
 * Makes `peh/<run>` at `head` unless it exists. Already there at `head` (a crash after the ref was
 * made, before it was recorded) is the same start; anywhere else is an error, never moved.
 */
export async function makeRunBranchAt(repo: GitRepo, runId: string, head: string): Promise<string> {
  const ref = runBranchRef(runId);
  const made = await git(["update-ref", "-m", `peh: start run ${runId} (a rerun)`, ref, head, ""], { cwd: repo.top, ok: [1, 128] });
  if (made.code !== 0) {
    const existing = await resolveCommit(repo, ref);
    if (existing !== head) {
      throw new PehError("GIT_FAILED", `${runBranch(runId)} exists at ${existing?.slice(0, 10) ?? "?"}, not where this rerun starts (${head.slice(0, 10)})`, `it was made outside peh: look at it (git log ${runBranch(runId)}), then delete it (git branch -D ${runBranch(runId)}) and run again`);
    }
  }
  return runBranch(runId);
}
