// worktree_attempt_ms: the median time peh's git work for one isolated attempt takes (worktree
// create, commit, rebase check, fast-forward, remove) on a repository of `files` files, beside
// worktree_floor_ms: the same git commands run alone by one shell script on the same repository.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  attemptWorkspaceRoot,
  commitAttempt,
  createWorktree,
  detectRepo,
  fastForwardRunBranch,
  rebaseCommit,
  removeWorktree,
  runBranchHead,
  runBranchRef,
  startRunBranch,
} from "../runtime/workspace/git/index.js";

const ENV = { ...process.env, GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@example.com", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@example.com" };
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function worktreeFigures(files: number, rounds: number): Promise<{ attempt_ms: number; floor_ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), "peh-bench-git-"));
  try {
    const top = join(dir, "repo");
    mkdirSync(top);
    for (let i = 0; i < files; i++) {
      const sub = join(top, `d${i % 100}`);
      if (i < 100) mkdirSync(sub);
      writeFileSync(join(sub, `f${i}.txt`), `file ${i}\n`);
    }
    const git = (...args: string[]) => execFileSync("git", args, { cwd: top, env: ENV, encoding: "utf8" }).trim();
    git("init", "--quiet", "--initial-branch=main");
    git("add", "-A");
    git("commit", "--quiet", "-m", "initial");
    const repo = (await detectRepo(top))!;
    await startRunBranch(repo, { runId: "bench", at: new Date().toISOString() });
    const peh: number[] = [];
    const floor: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // peh's steps, as isolated-work.ts takes them (without the log appends, which bench/append measures).
      let start = performance.now();
      const place = { runId: "bench", taskId: "t", attempt: round + 1 };
      const path = attemptWorkspaceRoot(repo, place);
      const base = (await runBranchHead(repo, "bench"))!;
      await createWorktree(repo, path, base);
      writeFileSync(join(path, `peh-${round}.txt`), "work\n");
      const commit = await commitAttempt(repo, { worktree: path, base, message: "work\n", at: new Date().toISOString() });
      const rebased = await rebaseCommit(repo, commit, base, new Date().toISOString());
      if (!rebased.ok) throw new Error("bench: conflict");
      await fastForwardRunBranch(repo, "bench", base, rebased.commit);
      await removeWorktree(repo, path, runBranchRef("bench"));
      peh.push(performance.now() - start);
      // The floor: the same git commands, one shell script.
      const floorPath = join(repo.commonDir, "floor-wt");
      start = performance.now();
      execFileSync("sh", ["-ec", [
        `head=$(git rev-parse refs/heads/peh/bench)`,
        `git worktree add --detach --quiet "${floorPath}" "$head"`,
        `echo work > "${floorPath}/floor-${round}.txt"`,
        `git -C "${floorPath}" add -A`,
        `tree=$(git -C "${floorPath}" write-tree)`,
        `new=$(git commit-tree "$tree" -p "$head" -m work)`,
        `git -C "${floorPath}" reset --quiet "$new"`,
        `git update-ref refs/heads/peh/bench "$new" "$head"`,
        `git worktree remove "${floorPath}"`,
      ].join("\n")], { cwd: top, env: ENV });
      floor.push(performance.now() - start);
    }
    return { attempt_ms: Number(median(peh).toFixed(1)), floor_ms: Number(median(floor).toFixed(1)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
