// The run's integration branch `peh/<run>`: made once from the user's HEAD, moved only forward
// by peh with a compare-and-swap, never checked out anywhere. The user's branch, index and files
// are read, never written.
import { commitEnv, resolveCommit, type GitRepo } from "./repo.js";
import { git, gitLine } from "./exec.js";
import { treeOf, treeOfFiles } from "./snapshot.js";

/** The run's branch name, `peh/<run>`. */
export function runBranch(runId: string): string {
  return `peh/${runId}`;
}

export function runBranchRef(runId: string): string {
  return `refs/heads/${runBranch(runId)}`;
}

export interface RunBranchStart {
  readonly branch: string;
  /** The user's HEAD commit when the run started, or null in a repository with no commit yet. */
  readonly head: string | null;
  /** The branch's first commit: `head`, or the snapshot of uncommitted changes on top of it. */
  readonly base: string;
  /** True when uncommitted changes (staged, unstaged or untracked, not ignored) were taken. */
  readonly snapshot: boolean;
}

export interface StartOptions {
  readonly runId: string;
  /** ISO time of the run's start: the snapshot commit's date, so a retry makes the same commit. */
  readonly at: string;
  /** Paths relative to the repository top never taken into the snapshot (peh's store). */
  readonly exclude?: readonly string[];
}

/**
 * Makes `peh/<run>` from the user's HEAD. Uncommitted changes are not ignored and not refused:
 * they become a first commit "peh: uncommitted changes at the start of run <run>" built in a
 * temporary index, so the user keeps their index, branch and files exactly as they were, and the
 * run starts from what they see. Idempotent: when the branch already exists it is returned as is
 * (a resumed run), never moved back.
 */
export async function startRunBranch(repo: GitRepo, options: StartOptions): Promise<RunBranchStart> {
  const branch = runBranch(options.runId);
  const head = await resolveCommit(repo, "HEAD");
  const existing = await resolveCommit(repo, runBranchRef(options.runId));
  if (existing !== null) return { branch, head, base: existing, snapshot: existing !== head };
  const tree = await treeOfFiles({ dir: repo.top, from: head, exclude: options.exclude });
  const snapshot = head === null || (await treeOf(repo.top, head)) !== tree;
  let base = head;
  if (snapshot) {
    const parents = head === null ? [] : ["-p", head];
    base = await gitLine(["commit-tree", tree, ...parents, "-m", snapshotMessage(options.runId)], {
      cwd: repo.top,
      env: commitEnv(repo, options.at),
    });
  }
  // "" as the old value: the ref must not exist yet, so two starts cannot both win.
  await git(["update-ref", "-m", `peh: start run ${options.runId}`, runBranchRef(options.runId), base!, ""], { cwd: repo.top });
  return { branch, head, base: base!, snapshot };
}

export function snapshotMessage(runId: string): string {
  return `peh: uncommitted changes at the start of run ${runId}\n\nPeh-Run: ${runId}\n`;
}

/** Where `peh/<run>` points now, or null when it does not exist. */
export function runBranchHead(repo: GitRepo, runId: string): Promise<string | null> {
  return resolveCommit(repo, runBranchRef(runId));
}

export type FastForward = { readonly moved: true } | { readonly moved: false; readonly head: string | null };

/**
 * Moves `peh/<run>` from `from` to `to`, only if it still points at `from` (update-ref's old
 * value): a second writer or a stale decision cannot lose a commit. Already at `to` counts as
 * moved (the step is idempotent after a crash).
 */
export async function fastForwardRunBranch(repo: GitRepo, runId: string, from: string, to: string): Promise<FastForward> {
  const ref = runBranchRef(runId);
  const result = await git(["update-ref", "-m", `peh: merge into run ${runId}`, ref, to, from], { cwd: repo.top, ok: [1, 128] });
  if (result.code === 0) return { moved: true };
  const head = await resolveCommit(repo, ref);
  return head === to ? { moved: true } : { moved: false, head };
}

/** `commit` is on the run's branch already (its head or below it). */
export async function onRunBranch(repo: GitRepo, runId: string, commit: string): Promise<boolean> {
  const result = await git(["merge-base", "--is-ancestor", commit, runBranchRef(runId)], { cwd: repo.top, ok: [1, 128] });
  return result.code === 0;
}
