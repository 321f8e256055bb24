// isolation: worktree end to end, through the built binary with the fake agent of examples/: each
// attempt in its own worktree, one commit per task merged onto peh/<run> in completion order, a
// conflict re-attempted on the new head, a failed attempt archived, the user's checkout untouched.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sandboxOff } from "../support/sandbox.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprint, gitIn } from "../support/git-repo.js";
import { workspace, type Workspace } from "../support/workspace.js";

const agent = `node ${join(dirname(fileURLToPath(import.meta.url)), "../../examples/fake-agent.mjs")}`;
let ws: Workspace;
let signals: string;
beforeEach(async () => {
  ws = await workspace();
  newest = undefined;
  // The tasks meet through signal files outside any scope (to run in parallel for sure): no sandbox.
  // An isolated attempt under the sandbox: test/sandbox/isolated.e2e.test.ts.
  await sandboxOff(ws);
  signals = join(dirname(ws.path), "signals");
  await ws.write(".gitignore", ".peh/\nplan.yaml\n");
  await ws.write("a.txt", "one\ntwo\nthree\n");
  gitIn(ws.path, "init", "--quiet", "--initial-branch=main");
  gitIn(ws.path, "add", "-A");
  gitIn(ws.path, "commit", "--quiet", "-m", "initial");
  await import("node:fs/promises").then((fs) => fs.mkdir(signals));
});
afterEach(async () => ws.remove());

type Event = { type: string; data: Record<string, unknown> };
// The newest run's id, asked of `peh show` once per run (each process costs seconds on a loaded machine).
let newest: string | undefined;
const runId = () => (newest ??= (JSON.parse(ws.peh("show", "--json").stdout) as { run_id: string }).run_id);
const events = async (): Promise<Event[]> => (await ws.read(`.peh/runs/${runId()}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as Event);
const plan = (tasks: { id: string; agent: string; check?: string; after?: string }[]) =>
  ["objective: Edit files in parallel", "isolation: worktree", "tasks:",
    ...tasks.map((t) => `  - { id: ${t.id}, objective: Edit for ${t.id}, scope: workspace, agent: "${t.agent}", acceptance_tests: ["${t.check ?? "true"}"]${t.after ? `, depends_on: [${t.after}]` : ""} }`)].join("\n");
const run = () => {
  newest = undefined;
  return ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "2", "--agent-command", agent);
};
const worktreesLeft = async () => (await readdir(join(ws.path, ".git", "peh-worktrees", runId())).catch(() => [])).length;

describe("isolation: worktree", () => {
  it("merges two parallel tasks on different files as two commits, and touches nothing of the user's", async () => {
    await ws.write("plan.yaml", plan([
      { id: "left", agent: `touch ${signals}/left; wait ${signals}/right; append b.txt left`, check: "grep -q left b.txt" },
      { id: "right", agent: `touch ${signals}/right; wait ${signals}/left; append c.txt right`, check: "grep -q right c.txt" },
    ]));
    const before = await fingerprint(ws.path, [".peh"]);
    const result = run();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await fingerprint(ws.path, [".peh"])).toBe(before);
    const branch = `peh/${runId()}`;
    const subjects = gitIn(ws.path, "log", "--format=%s", `main..${branch}`).split("\n");
    expect(subjects.sort()).toEqual(["Edit for left", "Edit for right"]);
    expect(gitIn(ws.path, "show", `${branch}:b.txt`)).toBe("left");
    expect(gitIn(ws.path, "show", `${branch}:c.txt`)).toBe("right");
    const log = await events();
    const merged = log.filter((e) => e.type === "TASK_MERGED").map((e) => e.data.task_id);
    // Completion order: the later commit on the branch is the later merge.
    expect(gitIn(ws.path, "log", "-1", "--format=%(trailers:key=Peh-Task,valueonly)", branch).trim()).toBe(merged.at(-1));
    expect(log.filter((e) => e.type === "WORKTREE_REMOVED")).toHaveLength(2);
    expect(await worktreesLeft()).toBe(0);
    expect(gitIn(ws.path, "worktree", "list", "--porcelain").split("\n").filter((l) => l.startsWith("worktree "))).toHaveLength(1);
  });

  it("re-attempts a task whose commit conflicts on the new head, and merges it there", async () => {
    await ws.write("plan.yaml", plan([
      { id: "first", agent: `wait ${signals}/second-started; set a.txt 2 FIRST` },
      { id: "second", agent: `touch ${signals}/second-started; wait ${signals}/first-merged; set a.txt 2 SECOND`, check: "grep -q SECOND a.txt" },
    ]));
    // The first edits once the second's agent runs (its worktree made from the head before the
    // first's merge, however the two are scheduled); the second edits the same line once the
    // first's commit is on the branch.
    const started = ws.start(["run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "2", "--agent-command", agent]);
    await started.line(/✓ first/);
    await import("node:fs/promises").then((fs) => fs.writeFile(join(signals, "first-merged"), ""));
    expect(await started.exit).toBe(0);
    const log = await events();
    const conflict = log.find((e) => e.type === "TASK_FAILED" && e.data.stage === "merge");
    expect(conflict?.data).toMatchObject({ task_id: "second", conflicts: ["a.txt"] });
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED" && e.data.task_id === "second")?.data).toMatchObject({ class: "merge_conflict" });
    expect(log.find((e) => e.type === "WORKTREE_ARCHIVED")?.data).toMatchObject({ task_id: "second", ref: `refs/peh/${runId()}/second/1` });
    expect(gitIn(ws.path, "show", `peh/${runId()}:a.txt`)).toBe("one\nSECOND\nthree");
    expect(gitIn(ws.path, "log", "--format=%s", `main..peh/${runId()}`).split("\n")).toEqual(["Edit for second", "Edit for first"]);
    expect(await worktreesLeft()).toBe(0);
  });

  it("waits for a human when the re-attempt conflicts again, naming the conflicting files", async () => {
    await ws.write("plan.yaml", plan([
      { id: "first", agent: `wait ${signals}/second-1; set a.txt 2 FIRST` },
      // Each attempt of the second edits line 2 once the test says a commit on it was merged.
      { id: "second", agent: `touch ${signals}/second-{attempt}; wait ${signals}/merged-{attempt}; set a.txt 2 SECOND`, check: "grep -q SECOND a.txt" },
      // The third starts from the first's merge and edits line 2 while the second's re-attempt runs.
      { id: "third", agent: `wait ${signals}/second-2; set a.txt 2 THIRD`, after: "first" },
    ]));
    const started = ws.start(["run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "3", "--agent-command", agent]);
    const signal = (name: string) => import("node:fs/promises").then((fs) => fs.writeFile(join(signals, name), ""));
    await started.line(/✓ first/);
    await signal("merged-1");
    await started.line(/✓ third/);
    await signal("merged-2");
    const code = await started.exit;
    const log = await events();
    const conflicts = log.filter((e) => e.type === "TASK_FAILED" && e.data.stage === "merge");
    expect(conflicts.map((e) => [e.data.task_id, e.data.attempt, e.data.conflicts])).toEqual([["second", 1, ["a.txt"]], ["second", 2, ["a.txt"]]]);
    expect(log.filter((e) => e.type === "WORKTREE_ARCHIVED").map((e) => e.data.ref)).toEqual([`refs/peh/${runId()}/second/1`, `refs/peh/${runId()}/second/2`]);
    expect(code).toBe(3); // waiting for a human
    const status = ws.peh("status");
    expect(status.stdout).toMatch(/second +awaiting decision .*merge_conflict/);
    expect(status.stdout).toContain(`peh decide ${runId()} --task second retry|skip|abort`);
    expect(status.stdout).toContain(`second: attempt 2 archived as refs/peh/${runId()}/second/2: its commit conflicted with peh/${runId()} in a.txt`);
    const json = JSON.parse(ws.peh("status", "--json").stdout) as { tasks: { id: string; state: string }[] };
    expect(json.tasks.find((t) => t.id === "second")?.state).toBe("awaiting_decision");
    // The branch holds the first's and the third's commits; the second's work is under its archive refs.
    expect(gitIn(ws.path, "show", `peh/${runId()}:a.txt`)).toBe("one\nTHIRD\nthree");
    expect(gitIn(ws.path, "show", `refs/peh/${runId()}/second/2:a.txt`)).toBe("one\nSECOND\nthree");
    expect(await worktreesLeft()).toBe(0);
  });

  it("archives a failed attempt's edits, and its retry starts without them", async () => {
    await ws.write("plan.yaml", plan([{ id: "flaky", agent: `append half.txt half-done; fail-once ${signals}/failed; append done.txt done`, check: "test -f done.txt" }]));
    const result = run();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const ref = `refs/peh/${runId()}/flaky/1`;
    expect(gitIn(ws.path, "show", `${ref}:half.txt`)).toBe("half-done");
    // The retry's worktree started clean: half.txt once, from attempt 2 only.
    expect(gitIn(ws.path, "show", `peh/${runId()}:half.txt`)).toBe("half-done");
    expect(gitIn(ws.path, "log", "--format=%(trailers:key=Peh-Attempt,valueonly)", "-1", `peh/${runId()}`).trim()).toBe("2");
    expect(existsSync(join(ws.path, "half.txt"))).toBe(false);
    // peh status and the report name the task's commit and the archive ref.
    const commit = gitIn(ws.path, "rev-parse", `peh/${runId()}`).slice(0, 10);
    for (const view of [ws.peh("status").stdout, ws.peh("report").stdout]) {
      expect(view).toContain(`flaky: attempt 1 archived as ${ref}`);
      expect(view).toContain(`flaky: commit ${commit} on peh/${runId()}`);
    }
    expect((JSON.parse(ws.peh("status", "--json").stdout) as { git: { tasks: { archives: { ref: string }[] }[] } }).git.tasks[0]!.archives[0]!.ref).toBe(ref);
  });

  it("archives and removes the worktree of a task the run's abort skipped while interrupted, before the run ends", async () => {
    await ws.write("plan.yaml", plan([{ id: "long", agent: `append half.txt half-done; touch ${signals}/long; wait ${signals}/never` }]));
    const started = ws.start(["run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--agent-command", agent]);
    // The agent made its half-done edit and waits: a signal file says so (polled, as a file is).
    while (!existsSync(join(signals, "long"))) await new Promise((resolve) => setTimeout(resolve, 20));
    const cancel = ws.peh("cancel", "--as", "ana");
    expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0);
    expect(await started.exit).toBe(1);
    const log = await events();
    const types = log.map((e) => e.type);
    expect(log.find((e) => e.type === "TASK_SKIPPED")?.data).toMatchObject({ task_id: "long", reason: "aborted" });
    // Archived and removed while the task was interrupted, before it was skipped and the run ended.
    expect(types.indexOf("TASK_INTERRUPTED")).toBeLessThan(types.indexOf("WORKTREE_ARCHIVED"));
    expect(types.indexOf("WORKTREE_REMOVED")).toBeLessThan(types.indexOf("TASK_SKIPPED"));
    expect(log.at(-1)).toMatchObject({ type: "EXECUTION_COMPLETE", data: { outcome: "aborted" } });
    expect(gitIn(ws.path, "show", `refs/peh/${runId()}/long/1:half.txt`)).toBe("half-done");
    expect(await worktreesLeft()).toBe(0);
    expect(gitIn(ws.path, "worktree", "list", "--porcelain").split("\n").filter((l) => l.startsWith("worktree "))).toHaveLength(1);
  });

  it("takes uncommitted changes into the branch's first commit, leaving them where they are", async () => {
    await ws.write("a.txt", "one\nDIRTY\nthree\n");
    await ws.write("plan.yaml", plan([{ id: "edit", agent: "append b.txt more", check: "grep -q DIRTY a.txt" }]));
    const before = await fingerprint(ws.path, [".peh"]);
    const result = run();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await fingerprint(ws.path, [".peh"])).toBe(before);
    expect(gitIn(ws.path, "log", "--format=%s", `main..peh/${runId()}`).split("\n")).toEqual(["Edit for edit", `peh: uncommitted changes at the start of run ${runId()}`]);
  });

  it("is refused at planning time in a workspace that is not a git repository", async () => {
    await import("node:fs/promises").then((fs) => fs.rm(join(ws.path, ".git"), { recursive: true, force: true }));
    await ws.write("plan.yaml", plan([{ id: "edit", agent: "append b.txt more" }]));
    const result = ws.peh("plan", "--from", "plan.yaml");
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain("ISOLATION_NEEDS_GIT");
    expect(result.stdout + result.stderr).toContain("git init");
    expect(existsSync(join(ws.path, ".peh", "runs"))).toBe(false);
  });

  it("lands a completed run on the user's branch by a fast-forward, logged, and says what to run when it cannot", async () => {
    await ws.write("plan.yaml", plan([{ id: "edit", agent: "append b.txt landed" }]));
    expect(run().code).toBe(0);
    const landed = ws.peh("land", "--as", "ana");
    expect(landed.code, landed.stdout + landed.stderr).toBe(0);
    expect(gitIn(ws.path, "rev-parse", "main")).toBe(gitIn(ws.path, "rev-parse", `peh/${runId()}`));
    expect(await ws.read("b.txt")).toBe("landed\n");
    expect((await events()).filter((e) => e.type === "RUN_LANDED").map((e) => e.data.branch)).toEqual(["main"]);
    const again = ws.peh("land", "--as", "ana", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ run_id: runId(), branch: "main", already: true });

    await ws.write("plan.yaml", plan([{ id: "again", agent: "append c.txt second" }]));
    expect(run().code).toBe(0);
    await ws.write("mine.txt", "mine\n");
    gitIn(ws.path, "add", "mine.txt");
    gitIn(ws.path, "-c", "user.name=u", "-c", "user.email=u@example.com", "commit", "--quiet", "-m", "my own work");
    const mine = gitIn(ws.path, "rev-parse", "main");
    const refused = ws.peh("land", "--as", "ana");
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toContain(`git merge peh/${runId()}`);
    expect(gitIn(ws.path, "rev-parse", "main")).toBe(mine);
  });
});
