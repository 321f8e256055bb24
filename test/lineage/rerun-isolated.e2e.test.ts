// `peh rerun` of a run that used worktrees, through the built binary with the fake agent (issue
// 22): the rerun's branch starts from the source's commits of the reused tasks, each once (the
// same commits while no task that runs afresh came before them on the source's branch, replayed
// after); the reused tasks' side effects happen zero times; what runs afresh lands on top; a
// reused commit that would conflict without a task that runs afresh is run afresh instead.
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gitIn } from "../support/git-repo.js";
import { sandboxOff } from "../support/sandbox.js";
import { workspace, type Workspace } from "../support/workspace.js";

const agent = `node ${join(dirname(fileURLToPath(import.meta.url)), "../../examples/fake-agent.mjs")}`;
let ws: Workspace;
let outside: string;
beforeEach(async () => {
  ws = await workspace();
  // The tasks record their side effects in a file outside the repository: no sandbox.
  await sandboxOff(ws);
  outside = join(dirname(ws.path), "outside");
  await mkdir(outside);
  await ws.write(".gitignore", ".peh/\n*.yaml\n");
  await ws.write("a.txt", "one\ntwo\nthree\n");
  gitIn(ws.path, "init", "--quiet", "--initial-branch=main");
  gitIn(ws.path, "add", "-A");
  gitIn(ws.path, "commit", "--quiet", "-m", "initial");
});
afterEach(async () => ws.remove());

type Task = { id: string; agent: string; depends_on?: string[] };
const plan = (tasks: Task[]) =>
  ["objective: Release under isolation", "isolation: worktree", "recovery: { logic_error: { action: abort }, unknown: { action: abort } }", "tasks:",
    ...tasks.map((t) => `  - { id: ${t.id}, objective: Do ${t.id}, scope: workspace, agent: "append ${outside}/effects ${t.id}; ${t.agent}", acceptance_tests: ["true"], depends_on: [${(t.depends_on ?? []).join(", ")}] }`)].join("\n");
const effects = async () => (await readFile(join(outside, "effects"), "utf8").catch(() => "")).trim().split("\n").filter(Boolean);
const forget = () => import("node:fs/promises").then((fs) => fs.rm(join(outside, "effects"), { force: true }));
const latest = () => (JSON.parse(ws.peh("runs", "--json").stdout) as { run_id: string }[]).at(-1)!.run_id;
const run = (...args: string[]) => ws.peh("run", ...args, "--trust-root", ".", "--concurrency", "1", "--agent-command", agent);
const states = (id: string) => Object.fromEntries((JSON.parse(ws.peh("status", id, "--json").stdout) as { tasks: { id: string; state: string }[] }).tasks.map((t) => [t.id, t.state]));
/** Each commit of main..BRANCH, oldest first: [task, commit]. */
const commits = (branch: string) =>
  gitIn(ws.path, "log", "--reverse", "--format=%(trailers:key=Peh-Task,valueonly,separator=)%x09%H", `main..${branch}`).split("\n").filter(Boolean).map((line) => line.split("\t") as [string, string]);
const events = async (id: string) => (await ws.read(`.peh/runs/${id}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> });

function rerun(source: string, ...args: string[]): { run_id: string; reused: { task_id: string }[]; fresh: string[]; notes: string[] } {
  const made = ws.peh("rerun", source, ...args, "--json");
  expect(made.code, made.stderr).toBe(0);
  const rerun = JSON.parse(made.stdout) as { run_id: string; reused: { task_id: string }[]; fresh: string[]; notes: string[] };
  expect(ws.peh("approve", rerun.run_id, "--as", "ana").code).toBe(0);
  return rerun;
}

describe("peh rerun of a run that used worktrees", () => {
  it("redrives a failed release from the failed task: the reused commits once on the new branch, the fresh one on top, landed", async () => {
    await ws.write("plan.yaml", plan([
      { id: "build", agent: "append build.txt built" },
      { id: "test", agent: "append test.txt tested", depends_on: ["build"] },
      { id: "deploy", agent: `fail-once ${outside}/deployed-once; append deploy.txt deployed`, depends_on: ["test"] },
    ]));
    const failed = run("--from", "plan.yaml", "--approve-as", "ana");
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    const source = latest();
    expect(states(source)).toEqual({ build: "succeeded", test: "succeeded", deploy: "failed" });
    const sourceCommits = commits(`peh/${source}`);
    expect(sourceCommits.map(([task]) => task)).toEqual(["build", "test"]);
    await forget();

    const redrive = rerun(source, "--from", "deploy");
    expect(redrive.fresh).toEqual(["deploy"]);
    const result = run(redrive.run_id);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await effects()).toEqual(["deploy"]);
    expect(states(redrive.run_id)).toEqual({ build: "reused", test: "reused", deploy: "succeeded" });
    const branch = `peh/${redrive.run_id}`;
    const now = commits(branch);
    // The source's own commits (a redrive keeps its history exactly), then the fresh one on top.
    expect(now.slice(0, 2)).toEqual(sourceCommits);
    expect(now.map(([task]) => task)).toEqual(["build", "test", "deploy"]);
    expect(gitIn(ws.path, "show", `${branch}:deploy.txt`)).toBe("deployed");
    const started = (await events(redrive.run_id)).find((e) => e.type === "RUN_BRANCH_STARTED")!;
    expect(started.data).toMatchObject({ base: gitIn(ws.path, "rev-parse", "main"), reused: sourceCommits.map(([task_id, commit]) => ({ task_id, source_commit: commit, commit })) });
    expect(ws.peh("status", redrive.run_id).stdout).toContain(`build: commit ${sourceCommits[0]![1].slice(0, 10)} on ${branch} (reused: the source's own commit)`);
    expect(ws.peh("log", redrive.run_id).stdout).toMatch(/with the reused commits of build [0-9a-f]{10}, test [0-9a-f]{10}/);
    const landed = ws.peh("land", redrive.run_id, "--as", "ana");
    expect(landed.code, landed.stdout + landed.stderr).toBe(0);
    expect(gitIn(ws.path, "rev-parse", "main")).toBe(gitIn(ws.path, "rev-parse", branch));
    expect(await ws.read("deploy.txt")).toBe("deployed\n");
  });

  it("is not forked past the branch's start (its worktrees are the source's): exit 2, nothing recorded; before it, forked", async () => {
    await ws.write("plan.yaml", plan([{ id: "only", agent: "append only.txt O" }]));
    expect(run("--from", "plan.yaml", "--approve-as", "ana").code).toBe(0);
    const source = latest();
    const started = (await events(source)).findIndex((e) => e.type === "RUN_BRANCH_STARTED") + 1;
    const refused = ws.peh("fork", source, "--at", String(started));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`its branch had started by event #${started}`));
    expect(latest()).toBe(source);
    const forked = ws.peh("fork", source, "--at", String(started - 1), "--json");
    expect(forked.code, forked.stderr).toBe(0);
  });

  it("replays a reused commit that came after a task run afresh on the source's branch, once", async () => {
    await ws.write("plan.yaml", plan([
      { id: "left", agent: "append left.txt L" },
      { id: "middle", agent: "append middle.txt M" },
      { id: "right", agent: "append right.txt R" },
    ]));
    expect(run("--from", "plan.yaml", "--approve-as", "ana").code).toBe(0);
    const source = latest();
    const sourceCommits = Object.fromEntries(commits(`peh/${source}`));
    expect(Object.keys(sourceCommits)).toEqual(["left", "middle", "right"]);
    await forget();

    const again = rerun(source, "--from", "middle");
    expect(again.fresh).toEqual(["middle"]);
    expect(run(again.run_id).code).toBe(0);
    expect(await effects()).toEqual(["middle"]);
    const branch = `peh/${again.run_id}`;
    const now = commits(branch);
    expect(now.map(([task]) => task)).toEqual(["left", "right", "middle"]);
    expect(now[0]![1]).toBe(sourceCommits.left);
    // right is its own change replayed onto left: a new commit, not the source's (whose parent is middle's).
    expect(now[1]![1]).not.toBe(sourceCommits.right);
    expect(gitIn(ws.path, "diff", "--name-only", `${now[1]![1]}^`, now[1]![1])).toBe("right.txt");
    expect(gitIn(ws.path, "log", "-1", "--format=%s", now[1]![1])).toBe("Do right");
    expect(gitIn(ws.path, "ls-tree", "--name-only", branch).split("\n").sort()).toEqual([".gitignore", "a.txt", "left.txt", "middle.txt", "right.txt"]);
    expect(ws.peh("status", again.run_id).stdout).toContain(`right: commit ${now[1]![1].slice(0, 10)} on ${branch} (reused: ${sourceCommits.right!.slice(0, 10)} of the source, replayed)`);
    expect(ws.peh("land", again.run_id, "--as", "ana").code).toBe(0);
  });

  it("runs afresh a reused task whose commit conflicts without the change of one run afresh, and says so", async () => {
    await ws.write("plan.yaml", plan([
      { id: "first", agent: "append first.txt F" },
      { id: "second", agent: "set a.txt 2 SECOND" },
      { id: "third", agent: "set a.txt 2 THIRD" },
    ]));
    expect(run("--from", "plan.yaml", "--approve-as", "ana").code).toBe(0);
    const source = latest();
    await forget();
    const again = rerun(source, "--from", "second");
    expect(again.reused.map((r) => r.task_id)).toEqual(["first"]);
    expect(again.fresh).toEqual(["second", "third"]);
    expect(again.notes.join("\n")).toMatch(/third runs afresh.*conflict in a\.txt/);
    expect(run(again.run_id).code).toBe(0);
    expect((await effects()).sort()).toEqual(["second", "third"]);
    expect(gitIn(ws.path, "show", `peh/${again.run_id}:a.txt`)).toBe("one\nTHIRD\nthree");
  });
});
