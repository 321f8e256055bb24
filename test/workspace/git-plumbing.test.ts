// The git plumbing of isolated work, on real repositories: each step does what it says, never
// touches the user's branch, index or files, and never loses an attempt's work.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  archiveRef,
  archiveWorktree,
  attemptWorkspaceRoot,
  checkoutWorktree,
  commitAttempt,
  createWorktree,
  detectRepo,
  fastForwardRunBranch,
  rebaseCommit,
  landRun,
  removeWorktree,
  runBranchHead,
  runBranchRef,
  runWorktrees,
  startRunBranch,
  taskCommitMessage,
  type GitRepo,
} from "../../runtime/workspace/git/index.js";
import { gitIn, testRepo, type TestRepo } from "../support/git-repo.js";
import { tempDir } from "../support/temp-dir.js";

const AT = "2026-12-02T03:00:00Z";
let user: TestRepo;
let repo: GitRepo;
beforeEach(async () => {
  user = await testRepo({ "a.txt": "one\ntwo\nthree\n", "b.txt": "b\n", ".gitignore": "ignored/\n" });
  repo = (await detectRepo(user.top))!;
});
afterEach(async () => user.remove());

const place = (taskId: string, attempt = 1) => ({ runId: "r1", taskId, attempt });

/** An attempt's worktree at the branch head, with `edit` applied to its files. */
async function attempt(taskId: string, edit: (dir: string) => Promise<void>, n = 1) {
  const base = (await runBranchHead(repo, "r1"))!;
  const dir = attemptWorkspaceRoot(repo, place(taskId, n));
  await createWorktree(repo, dir, base);
  await edit(dir);
  return { base, dir };
}
const put = (name: string, text: string) => (dir: string) => writeFile(join(dir, name), text);

/** Commit, rebase onto the head, fast-forward: the merge queue's steps for one attempt. */
async function merge(taskId: string, a: { base: string; dir: string }) {
  const commit = await commitAttempt(repo, { worktree: a.dir, base: a.base, message: taskCommitMessage(`Edit for ${taskId}`, place(taskId)), at: AT });
  const head = (await runBranchHead(repo, "r1"))!;
  const rebased = await rebaseCommit(repo, commit, head, AT);
  if (!rebased.ok) return rebased;
  if (rebased.moved) await checkoutWorktree(a.dir, rebased.commit);
  expect(await fastForwardRunBranch(repo, "r1", head, rebased.commit)).toEqual({ moved: true });
  await removeWorktree(repo, a.dir, runBranchRef("r1"));
  return rebased;
}

describe("detectRepo", () => {
  it("finds the repository from a subdirectory, and none outside one", async () => {
    await mkdir(join(user.top, "sub"));
    expect((await detectRepo(join(user.top, "sub")))?.top).toBe(user.top);
    expect(repo.identity).toEqual({ name: "User", email: "user@example.com" });
    const plain = await tempDir();
    expect(await detectRepo(plain.path)).toBeNull();
    await plain.remove();
  });
});

describe("startRunBranch", () => {
  it("starts peh/<run> at the user's HEAD when the tree is clean", async () => {
    const before = await user.fingerprint();
    const start = await startRunBranch(repo, { runId: "r1", at: AT });
    expect(start).toEqual({ branch: "peh/r1", head: user.git("rev-parse", "HEAD"), base: user.git("rev-parse", "HEAD"), snapshot: false });
    expect(await user.fingerprint()).toBe(before);
  });

  it("takes staged, unstaged and untracked changes into a snapshot commit, and leaves the user's index, branch and files byte-identical", async () => {
    await user.write("a.txt", "one\nTWO\nthree\n");
    await user.write("staged.txt", "staged\n");
    user.git("add", "staged.txt");
    await user.write("new.txt", "untracked\n");
    await user.write("ignored/x", "ignored\n");
    await user.write(".peh/runs/r1/events.jsonl", "{}\n");
    const before = await user.fingerprint();
    const start = await startRunBranch(repo, { runId: "r1", at: AT, exclude: [".peh"] });
    expect(await user.fingerprint()).toBe(before);
    expect(start.snapshot).toBe(true);
    expect(user.git("rev-parse", `${start.base}^`)).toBe(user.git("rev-parse", "HEAD"));
    expect(user.git("show", `${start.base}:a.txt`)).toBe("one\nTWO\nthree");
    expect(user.git("ls-tree", "-r", "--name-only", start.base).split("\n")).toEqual([".gitignore", "a.txt", "b.txt", "new.txt", "staged.txt"]);
    expect(user.git("log", "-1", "--format=%s", start.base)).toBe("peh: uncommitted changes at the start of run r1");
    expect(user.git("branch", "--show-current")).toBe("main");
  });

  it("is idempotent: a second start returns the branch as it is, never moving it back", async () => {
    const first = await startRunBranch(repo, { runId: "r1", at: AT });
    const a = await attempt("t", put("c.txt", "c\n"));
    await merge("t", a);
    const moved = await runBranchHead(repo, "r1");
    const again = await startRunBranch(repo, { runId: "r1", at: AT });
    expect(again.base).toBe(moved);
    expect(moved).not.toBe(first.base);
  });
});

describe("an attempt in its worktree", () => {
  beforeEach(async () => {
    await startRunBranch(repo, { runId: "r1", at: AT });
  });

  it("lives under the git directory, ignored by git and outside the user's tree", async () => {
    const before = await user.fingerprint();
    const a = await attempt("t", put("c.txt", "c\n"));
    expect(a.dir).toBe(join(user.top, ".git", "peh-worktrees", "r1", "t-1"));
    expect(user.git("status", "--porcelain", "--untracked-files=all")).toBe("");
    expect(await runWorktrees(repo, "r1")).toEqual([a.dir]);
    expect(await user.fingerprint()).toBe(before);
  });

  it("is squashed into one commit with the objective and trailers, whatever the agent committed", async () => {
    const a = await attempt("t", async (dir) => {
      await writeFile(join(dir, "c.txt"), "c\n");
      gitIn(dir, "add", "c.txt");
      gitIn(dir, "commit", "--quiet", "-m", "agent's own commit");
      await writeFile(join(dir, "d.txt"), "d\n");
    });
    const commit = await commitAttempt(repo, { worktree: a.dir, base: a.base, message: taskCommitMessage("Add c and d\nbecause", place("t")), at: AT });
    expect(user.git("rev-parse", `${commit}^`)).toBe(a.base);
    expect(user.git("log", "-1", "--format=%B", commit).trim()).toBe("Add c and d\n\nbecause\n\nPeh-Run: r1\nPeh-Task: t\nPeh-Attempt: 1");
    expect(user.git("log", "-1", "--format=%(trailers:key=Peh-Task,valueonly)", commit).trim()).toBe("t");
    expect(user.git("diff", "--name-only", a.base, commit).split("\n")).toEqual(["c.txt", "d.txt"]);
    expect(gitIn(a.dir, "status", "--porcelain")).toBe("");
  });

  it("makes the same commit from the same inputs (a crash and a redo cannot make two)", async () => {
    const a = await attempt("t", put("c.txt", "c\n"));
    const options = { worktree: a.dir, base: a.base, message: taskCommitMessage("Add c", place("t")), at: AT };
    expect(await commitAttempt(repo, options)).toBe(await commitAttempt(repo, options));
  });

  it("merges two parallel attempts on different files: two commits on the branch in completion order", async () => {
    const before = await user.fingerprint();
    const first = await attempt("first", put("c.txt", "c\n"));
    const second = await attempt("second", put("d.txt", "d\n"));
    expect(second.base).toBe(first.base);
    expect(await merge("second", second)).toMatchObject({ ok: true, moved: false });
    expect(await merge("first", first)).toMatchObject({ ok: true, moved: true });
    expect(user.git("log", "--format=%s", `${first.base}..peh/r1`).split("\n")).toEqual(["Edit for first", "Edit for second"]);
    expect(user.git("ls-tree", "--name-only", "peh/r1").split("\n")).toEqual([".gitignore", "a.txt", "b.txt", "c.txt", "d.txt"]);
    expect(existsSync(first.dir) || existsSync(second.dir)).toBe(false);
    expect(await user.fingerprint()).toBe(before);
  });

  it("reports a conflict with the files named, and leaves no half-merged tree anywhere", async () => {
    const first = await attempt("first", put("a.txt", "one\nFIRST\nthree\n"));
    const second = await attempt("second", put("a.txt", "one\nSECOND\nthree\n"));
    await merge("first", first);
    const head = await runBranchHead(repo, "r1");
    const before = await user.fingerprint();
    expect(await merge("second", second)).toEqual({ ok: false, files: ["a.txt"] });
    expect(await runBranchHead(repo, "r1")).toBe(head);
    expect(await readFile(join(second.dir, "a.txt"), "utf8")).toBe("one\nSECOND\nthree\n");
    expect(gitIn(second.dir, "status", "--porcelain")).toBe("");
    expect(await user.fingerprint()).toBe(before);
  });

  it("does not fast-forward from a head that has moved on (a racing writer cannot lose a commit)", async () => {
    const first = await attempt("first", put("c.txt", "c\n"));
    const stale = first.base;
    await merge("first", first);
    const second = await attempt("second", put("d.txt", "d\n"));
    const commit = await commitAttempt(repo, { worktree: second.dir, base: second.base, message: "d\n", at: AT });
    const result = await fastForwardRunBranch(repo, "r1", stale, commit);
    expect(result).toEqual({ moved: false, head: second.base });
    expect(await runBranchHead(repo, "r1")).toBe(second.base);
  });

  it("archives a failed attempt's tracked and untracked files, then the retry starts clean", async () => {
    const failed = await attempt("t", async (dir) => {
      await writeFile(join(dir, "a.txt"), "half done\n");
      await writeFile(join(dir, "scratch.txt"), "untracked\n");
    });
    const archive = await archiveWorktree(repo, failed.dir, place("t"), AT);
    expect(await archiveWorktree(repo, failed.dir, place("t"), AT)).toBe(archive);
    expect(user.git("rev-parse", archiveRef(place("t")))).toBe(archive);
    await removeWorktree(repo, failed.dir, archiveRef(place("t")));
    expect(existsSync(failed.dir)).toBe(false);
    expect(user.git("show", `${archiveRef(place("t"))}:a.txt`)).toBe("half done");
    expect(user.git("show", `${archiveRef(place("t"))}:scratch.txt`)).toBe("untracked");
    const retry = await attempt("t", async () => {}, 2);
    expect(await readFile(join(retry.dir, "a.txt"), "utf8")).toBe("one\ntwo\nthree\n");
    expect(existsSync(join(retry.dir, "scratch.txt"))).toBe(false);
  });

  it("refuses to remove a worktree whose work nothing keeps", async () => {
    const a = await attempt("t", put("c.txt", "c\n"));
    await expect(removeWorktree(repo, a.dir, runBranchRef("r1"))).rejects.toThrow(/holds work that refs\/heads\/peh\/r1 does not keep/);
    await commitAttempt(repo, { worktree: a.dir, base: a.base, message: "c\n", at: AT });
    await expect(removeWorktree(repo, a.dir, runBranchRef("r1"))).rejects.toThrow(/does not keep/);
    expect(await readFile(join(a.dir, "c.txt"), "utf8")).toBe("c\n");
  });

  it("reuses a worktree left clean at its base by a crash, and refuses one holding other work", async () => {
    const a = await attempt("t", async () => {});
    await createWorktree(repo, a.dir, a.base);
    await writeFile(join(a.dir, "c.txt"), "c\n");
    await expect(createWorktree(repo, a.dir, a.base)).rejects.toThrow(/with other work/);
  });

  it("makes and removes many worktrees at once (git's own worktree commands race with each other)", async () => {
    // Two `git worktree add` run at once fail now and then ("failed to read
    // .git/worktrees/<name>/commondir"): parallel isolated tasks make theirs at the same moment.
    const base = (await runBranchHead(repo, "r1"))!;
    const dirs = Array.from({ length: 24 }, (_, i) => attemptWorkspaceRoot(repo, place(`t${i}`)));
    await Promise.all(dirs.map((dir) => createWorktree(repo, dir, base)));
    expect((await runWorktrees(repo, "r1")).sort()).toEqual([...dirs].sort());
    await Promise.all(dirs.map((dir) => removeWorktree(repo, dir, runBranchRef("r1"))));
    expect(await runWorktrees(repo, "r1")).toEqual([]);
  });
});

describe("landRun", () => {
  beforeEach(async () => {
    await startRunBranch(repo, { runId: "r1", at: AT });
    await merge("t", await attempt("t", put("c.txt", "c\n")));
  });

  it("fast-forwards the user's current branch to the run's branch, and says so when already there", async () => {
    const from = user.git("rev-parse", "HEAD");
    const to = user.git("rev-parse", "peh/r1");
    expect(await landRun(repo, "r1")).toEqual({ landed: true, branch: "main", from, to, already: false });
    expect(user.git("rev-parse", "HEAD")).toBe(to);
    expect(await user.read("c.txt")).toBe("c\n");
    expect(user.git("status", "--porcelain")).toBe("");
    expect(await landRun(repo, "r1")).toMatchObject({ landed: true, already: true });
  });

  it("does not move a branch that has its own commits since, and names the command to run", async () => {
    await user.write("mine.txt", "mine\n");
    const mine = user.commitAll("my own work");
    const landing = await landRun(repo, "r1");
    expect(landing).toMatchObject({ landed: false, command: expect.stringContaining("git merge peh/r1") });
    expect(landing.landed ? "" : landing.reason).toContain("not a fast-forward");
    expect(user.git("rev-parse", "HEAD")).toBe(mine);
  });

  it("does not overwrite the user's local changes, and says what to run", async () => {
    await user.write("c.txt", "my local c\n");
    const before = await user.fingerprint();
    const landing = await landRun(repo, "r1");
    expect(landing).toMatchObject({ landed: false, command: expect.stringContaining("git stash push --include-untracked") });
    expect(await user.fingerprint()).toBe(before);
  });

  it("on a detached HEAD, says how to make a branch of the run's", async () => {
    user.git("checkout", "--quiet", "--detach");
    expect(await landRun(repo, "r1")).toMatchObject({ landed: false, command: "git switch -c <new-branch> peh/r1" });
  });
});
