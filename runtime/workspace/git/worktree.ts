// One git worktree per attempt, detached at a recorded base commit, under the repository's git
// directory: `<.git>/peh-worktrees/<run>/<task>-<attempt>`. Git never tracks anything inside its
// own directory, so the worktree is ignored without touching .gitignore, is outside the user's
// tracked tree (no editor, build or `git status` of theirs sees it), belongs to this repository
// (another clone has its own), and goes where the repository goes. Removal refuses to lose work.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { PehError } from "../../../events/index.js";
import { git, gitLine } from "./exec.js";
import { resolveCommit, type GitRepo } from "./repo.js";

export interface AttemptPlace {
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
}

/**
 * THE place an isolated attempt works: the root of its worktree. The sandbox binds this path
 * writable (and the repository's git directory read-only); every command of the attempt starts
 * here. One function, so the two lanes cannot disagree about it.
 */
export function attemptWorkspaceRoot(repo: GitRepo, place: AttemptPlace): string {
  return join(repo.commonDir, "peh-worktrees", place.runId, `${place.taskId}-${place.attempt}`);
}

/**
 * Git's worktree commands are not safe to run at once on one repository: `git worktree add`
 * writes its admin directory (`.git/worktrees/<name>`) file by file, and another `add`, `remove`
 * or `list` that reads it meanwhile fails ("failed to read .git/worktrees/<name>/commondir").
 * Parallel isolated tasks make their worktrees at the same moment, so this process runs them one
 * at a time per repository; another process's (a second `peh worker` on the same checkout) is
 * waited out by trying again a few times.
 */
const queues = new Map<string, Promise<unknown>>();
const HALF_MADE = /failed to read .*worktrees\/.*\/(commondir|gitdir)/;

async function worktreeCommand<T>(repo: GitRepo, run: () => Promise<T>): Promise<T> {
  const before = queues.get(repo.commonDir) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(async () => {
    for (let tries = 1; ; tries++) {
      try {
        return await run();
      } catch (error) {
        if (tries >= 5 || !HALF_MADE.test(String((error as Error).message))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * tries)); // another process's add finishes
      }
    }
  });
  queues.set(repo.commonDir, mine);
  try {
    return await mine;
  } finally {
    if (queues.get(repo.commonDir) === mine) queues.delete(repo.commonDir);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Creates the attempt's worktree at `base`, detached (no branch to delete later, so no
 * `branch -D` that could take unmerged work with it). When the worktree already exists at `base`
 * (a crash after it was made) it is reused; at another commit, or dirty, it is an error: the
 * caller archives it first.
 */
export async function createWorktree(repo: GitRepo, path: string, base: string): Promise<void> {
  if (await exists(path)) {
    const head = await resolveCommit({ ...repo, top: path }, "HEAD");
    if (head === base && (await isClean(path))) return;
    throw new PehError("GIT_FAILED", `the worktree ${path} exists at ${head ?? "no commit"} with other work, not clean at ${base}`, "archive it (peh does so on resume) or remove it with `git worktree remove` after saving what it holds");
  }
  await worktreeCommand(repo, () => git(["worktree", "add", "--detach", "--quiet", path, base], { cwd: repo.top }));
}

/** True when the worktree holds nothing beyond its HEAD commit (ignored files aside). */
export async function isClean(path: string): Promise<boolean> {
  const status = await git(["status", "--porcelain", "--untracked-files=all"], { cwd: path });
  return status.stdout === "";
}

/**
 * Removes an attempt's worktree only when nothing would be lost: it is clean and its HEAD is
 * reachable from `keeperRef` (`refs/heads/peh/<run>` when its commit was merged,
 * `refs/peh/<run>/<task>/<attempt>` when it was archived). Never `--force`, never `rm -rf`, never
 * a repository-wide prune. Removing one that is already gone succeeds (idempotent).
 */
export async function removeWorktree(repo: GitRepo, path: string, keeperRef: string): Promise<void> {
  if (!(await exists(path))) return;
  const head = await gitLine(["rev-parse", "HEAD"], { cwd: path });
  const kept = await git(["merge-base", "--is-ancestor", head, keeperRef], { cwd: repo.top, ok: [1, 128] });
  if (kept.code !== 0 || !(await isClean(path))) {
    throw new PehError(
      "GIT_FAILED",
      `the worktree ${path} holds work that ${keeperRef} does not keep; it was left in place`,
      `archive the attempt first, or look at it yourself: git -C ${path} status`,
    );
  }
  await worktreeCommand(repo, () => git(["worktree", "remove", path], { cwd: repo.top }));
}

/** Worktrees git knows of under this run's place, by path (for resume and the end of a run). */
export async function runWorktrees(repo: GitRepo, runId: string): Promise<string[]> {
  const list = await worktreeCommand(repo, () => gitLine(["worktree", "list", "--porcelain"], { cwd: repo.top }));
  const prefix = join(repo.commonDir, "peh-worktrees", runId) + "/";
  return list
    .split("\n")
    .filter((line) => line.startsWith("worktree "))
    .map((line) => line.slice("worktree ".length))
    .filter((path) => path.startsWith(prefix));
}
