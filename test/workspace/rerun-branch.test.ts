// The git steps of a rerun's branch (runtime/workspace/git/replay.ts) on a real repository: a
// source branch base → A → B → C as the merge queue leaves it (each commit on the one before).
// Reusing a prefix keeps the very commits; reusing past a task that runs afresh replays the later
// commit's own change (not the one it was stacked on); a change that needs the skipped one is a
// conflict, named; the ref is made once, the same start again is idempotent, another refused.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskIdSchema } from "../../events/index.js";
import { detectRepo, makeRunBranchAt, replayCommit, reusedChain, type GitRepo } from "../../runtime/workspace/git/index.js";
import { testRepo, type TestRepo } from "../support/git-repo.js";

let repo: TestRepo;
let git: GitRepo;
let base: string;
let commits: Record<"a" | "b" | "c", string>;
const task = (id: string) => TaskIdSchema.parse(id);

beforeEach(async () => {
  repo = await testRepo({ "shared.txt": "one\ntwo\nthree\n" });
  git = (await detectRepo(repo.top))!;
  base = repo.git("rev-parse", "HEAD");
  await repo.write("a.txt", "A\n");
  const a = repo.commitAll("Do a\n\nPeh-Task: a");
  await repo.write("shared.txt", "one\nB\nthree\n");
  const b = repo.commitAll("Do b\n\nPeh-Task: b");
  await repo.write("c.txt", "C\n");
  const c = repo.commitAll("Do c\n\nPeh-Task: c");
  commits = { a, b, c };
});
afterEach(async () => repo.remove());

describe("a rerun's branch", () => {
  it("takes a reused prefix of the source's branch as the very commits", async () => {
    const chain = await reusedChain(git, base, [{ task_id: task("a"), commit: commits.a }, { task_id: task("b"), commit: commits.b }]);
    expect(chain).toEqual({ ok: true, head: commits.b, reused: [
      { task_id: "a", source_commit: commits.a, commit: commits.a },
      { task_id: "b", source_commit: commits.b, commit: commits.b },
    ] });
  });

  it("replays a reused commit that came after a skipped one: its own change only, the same every time", async () => {
    const chain = await reusedChain(git, base, [{ task_id: task("a"), commit: commits.a }, { task_id: task("c"), commit: commits.c }]);
    if (!chain.ok) throw new Error("conflict");
    const replayed = chain.reused[1]!.commit;
    expect(replayed).not.toBe(commits.c);
    expect(repo.git("rev-parse", `${replayed}^`)).toBe(commits.a);
    expect(repo.git("show", `${replayed}:shared.txt`)).toBe("one\ntwo\nthree"); // b's change is not in it
    expect(repo.git("diff", "--name-only", commits.a, replayed)).toBe("c.txt");
    expect(repo.git("log", "-1", "--format=%B", replayed)).toBe(repo.git("log", "-1", "--format=%B", commits.c));
    expect(await replayCommit(git, commits.c, commits.a)).toEqual({ ok: true, commit: replayed });
  });

  it("names the reused task whose change conflicts without the skipped one", async () => {
    await repo.write("shared.txt", "one\nD\nthree\n");
    const d = repo.commitAll("Do d\n\nPeh-Task: d");
    expect(await reusedChain(git, base, [{ task_id: task("a"), commit: commits.a }, { task_id: task("d"), commit: d }])).toEqual({ ok: false, task_id: "d", files: ["shared.txt"] });
  });

  it("is made once: the same start again is idempotent, another one refused and the branch left alone", async () => {
    expect(await makeRunBranchAt(git, "r-new", commits.a)).toBe("peh/r-new");
    expect(await makeRunBranchAt(git, "r-new", commits.a)).toBe("peh/r-new");
    await expect(makeRunBranchAt(git, "r-new", commits.b)).rejects.toThrow(/peh\/r-new exists at .*, not where this rerun starts/);
    expect(repo.git("rev-parse", "peh/r-new")).toBe(commits.a);
  });
});
