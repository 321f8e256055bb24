// `peh rerun` through the built CLI (issue 22): exactly the tasks downstream of --from (or, without
// it, those that did not succeed) run again; a reused task's side effect happens zero times (each
// task appends its name to side-effects.log); bad input records nothing and exits 2.
import { copyFile, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { peh } from "../support/cli.js";
import { tempDir } from "../support/temp-dir.js";

const example = fileURLToPath(new URL("../../examples/rerun.yaml", import.meta.url));
let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
  await copyFile(example, join(dir.path, "plan.yaml"));
});
afterEach(async () => dir.remove());

const cli = (args: string[]) => peh(args, { cwd: dir.path, env: { PEH_ACTOR: "ana", PEH_STORE: join(dir.path, ".peh") } });
const effects = async () => (await readFile(join(dir.path, "side-effects.log"), "utf8").catch(() => "")).trim().split("\n").filter(Boolean);
const runs = async () => (await readdir(join(dir.path, ".peh", "runs"))).sort();
const latest = () => (JSON.parse(cli(["runs", "--json"]).stdout) as { run_id: string }[]).at(-1)!.run_id;

/** Plans, approves and runs; returns the run's id. */
function planAndRun(): string {
  expect(cli(["plan", "--from", "plan.yaml"]).code).toBe(0);
  expect(cli(["approve", "--as", "ana"]).code).toBe(0);
  cli(["run", "--trust-root", dir.path]);
  return latest();
}

function approveAndRun(runId: string): { code: number | null } {
  expect(cli(["approve", runId, "--as", "ana"]).code).toBe(0);
  return cli(["run", runId, "--trust-root", dir.path]);
}

function states(runId: string): Record<string, string> {
  const status = JSON.parse(cli(["status", runId, "--json"]).stdout) as { tasks: { id: string; state: string }[]; plan: { state: string } };
  return { ...Object.fromEntries(status.tasks.map((t) => [t.id, t.state])), run: status.plan.state };
}

async function failedRun(): Promise<string> {
  const source = planAndRun();
  expect(states(source).run).toBe("aborted");
  expect(await effects()).toEqual(["build", "test", "deploy"]);
  await writeFile(join(dir.path, "deploy-ok"), "");
  await rm(join(dir.path, "side-effects.log"));
  return source;
}

async function completedRun(): Promise<string> {
  await writeFile(join(dir.path, "deploy-ok"), "");
  const source = planAndRun();
  expect(states(source).run).toBe("completed");
  await rm(join(dir.path, "side-effects.log"));
  return source;
}

describe("peh rerun", () => {
  it("of a failed run from the failed task: only it and what follows run; the rest is reused", async () => {
    const source = await failedRun();
    const made = cli(["rerun", source, "--from", "deploy", "--json"]);
    expect(made.code, made.stderr).toBe(0);
    const rerun = JSON.parse(made.stdout) as { run_id: string; reused: { task_id: string }[]; fresh: string[] };
    expect(rerun.reused.map((r) => r.task_id)).toEqual(["build", "test"]);
    expect(cli(["run", rerun.run_id, "--trust-root", dir.path]).code).toBe(3); // its own approval first
    expect(approveAndRun(rerun.run_id).code).toBe(0);
    expect(await effects()).toEqual(["deploy", "notify"]);
    expect(states(rerun.run_id)).toEqual({ build: "reused", test: "reused", deploy: "succeeded", notify: "succeeded", run: "completed" });
    expect(cli(["report", rerun.run_id]).stdout).toContain(`reused from \`${source}\``);
    expect(cli(["runs", "--descendants", source, "--json"]).stdout).toContain(rerun.run_id);
  });

  it("of a failed run without --from: what failed or never ran runs again", async () => {
    const source = await failedRun();
    const rerun = JSON.parse(cli(["rerun", source, "--json"]).stdout) as { run_id: string; fresh: string[] };
    expect(rerun.fresh).toEqual(["deploy", "notify"]);
    expect(approveAndRun(rerun.run_id).code).toBe(0);
    expect(await effects()).toEqual(["deploy", "notify"]);
  });

  it("of a completed run without --from: nothing runs again, every task is reused", async () => {
    const source = await completedRun();
    const rerun = JSON.parse(cli(["rerun", source, "--json"]).stdout) as { run_id: string };
    expect(approveAndRun(rerun.run_id).code).toBe(0);
    expect(await effects()).toEqual([]);
    expect(states(rerun.run_id)).toEqual({ build: "reused", test: "reused", deploy: "reused", notify: "reused", run: "completed" });
  });

  it("of a completed run from a middle task: exactly it and its downstream run", async () => {
    const source = await completedRun();
    const rerun = JSON.parse(cli(["rerun", source, "--from", "test", "--json"]).stdout) as { run_id: string };
    expect(approveAndRun(rerun.run_id).code).toBe(0);
    expect(await effects()).toEqual(["test", "deploy", "notify"]);
  });

  it("with a changed plan: a task whose definition changed runs afresh, and so does what builds on it", async () => {
    const source = await completedRun();
    const changed = (await readFile(join(dir.path, "plan.yaml"), "utf8")).replace("echo test >>", "echo test2 >>");
    await writeFile(join(dir.path, "v2.yaml"), changed);
    const rerun = JSON.parse(cli(["rerun", source, "--plan", "v2.yaml", "--json"]).stdout) as { run_id: string; fresh: string[] };
    expect(rerun.fresh).toEqual(["test", "deploy", "notify"]);
    expect(approveAndRun(rerun.run_id).code).toBe(0);
    expect(await effects()).toEqual(["test2", "deploy", "notify"]);
  });

  it("refuses bad input with exit 2 and records nothing", async () => {
    const source = await completedRun();
    await writeFile(join(dir.path, "bad.yaml"), "objective: x\ntasks:\n  - id: a\n");
    expect(cli(["plan", "--from", "plan.yaml"]).code).toBe(0);
    expect(cli(["approve", "--as", "ana"]).code).toBe(0);
    const underWay = latest();
    const before = await runs();
    const cases: [string[], RegExp][] = [
      [["rerun", "r-nope"], /no run "r-nope"/],
      [["rerun", source, "--from", "nope"], /has no task "nope"/],
      [["rerun", underWay, "--from", "deploy"], /still under way/],
      [["rerun", source, "--plan", "bad.yaml"], /error/],
      [["rerun", source, "--plan", "missing.yaml"], /missing\.yaml/],
    ];
    for (const [args, message] of cases) {
      const result = cli(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(await runs()).toEqual(before);
  });
});
