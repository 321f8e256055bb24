// The scope is checked again when an attempt starts, end to end through the binary: a symlink
// made or re-pointed after the approval never takes a task out of the workspace.
import { mkdir, readdir, realpath, rm, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
let outside: string;
beforeEach(async () => {
  ws = await workspace();
  outside = join(dirname(ws.path), "outside");
  await mkdir(outside);
});
afterEach(async () => ws.remove());

type Event = { type: string; data: Record<string, unknown> };
const events = async (): Promise<Event[]> => {
  const run = (JSON.parse(ws.peh("show", "--json").stdout) as { run_id: string }).run_id;
  return (await ws.read(`.peh/runs/${run}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as Event);
};
const state = () => JSON.parse(ws.peh("show", "--json").stdout) as { tasks: Record<string, string> };

/**
 * One task that writes into its scope (its commands start in the workspace root), with retries
 * for invalid input that must not be used; `extra` adds fields (a cwd).
 */
const plan = (scopePath: string, extra = "") =>
  [
    "objective: Write notes into out/",
    "recovery: { invalid_input: { max_retries: 3, delays: [10ms] } }",
    "tasks:",
    `  - { id: write, objective: Write notes.txt, scope: module, scope_path: ${scopePath},${extra} run: 'echo written > "$PEH_SCOPE_PATH/notes.txt"', acceptance_tests: ['test -f "$PEH_SCOPE_PATH/notes.txt"'] }`,
  ].join("\n");

async function expectRefused(result: { code: number | null; stdout: string; stderr: string }, link: string, atStart = true, what = "scope_path"): Promise<void> {
  expect(result.code, result.stderr).toBe(3);
  expect(result.stdout).toContain(`through the symlink ${link} → ${outside}`);
  expect(result.stdout).toContain("outside the workspace");
  expect(await readdir(outside, { recursive: true })).not.toContainEqual(expect.stringMatching(/notes\.txt$/));
  const log = await events();
  const failed = log.find((e) => e.type === "TASK_FAILED");
  expect((failed?.data.error as { code: string }).code).toBe("SCOPE_ESCAPE");
  expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")?.data.class).toBe("invalid_input");
  expect(log.filter((e) => e.type === "WORKER_RUNNING" || e.type === "RECOVERY_ATTEMPTED")).toEqual([]);
  expect(state().tasks.write).toBe("awaiting_decision");
  expect(String(log.find((e) => e.type === "RECOVERY_ESCALATION")?.data.reason)).toContain(`change the task's ${what} with peh modify`);
  // Refused as it started, the worker is recorded where it really would have run: the workspace
  // root for a scope that leads out, the real place of a cwd that does.
  const cwd = String(log.find((e) => e.type === "WORKER_SPAWNING")?.data.cwd);
  if (atStart && what === "cwd") expect(cwd).toMatch(new RegExp(`^${await realpath(outside)}`));
  if (atStart && what === "scope_path") expect(cwd).toBe(ws.path);
}

describe("peh run › the scope, checked again when an attempt starts", () => {
  it("fails the attempt before anything runs when its directory was replaced by a link out after the approval, and never retries it by itself", async () => {
    await mkdir(join(ws.path, "out"));
    await ws.write("plan.yaml", plan("out"));
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    await rm(join(ws.path, "out"), { recursive: true });
    await symlink(outside, join(ws.path, "out"));
    await expectRefused(ws.peh("run", "--trust-root", "."), "out");
  });

  it("refuses a link dangling out of the workspace when planning, and one made after the approval once its target exists", async () => {
    await symlink(join(outside, "made-later"), join(ws.path, "later"));
    await ws.write("plan.yaml", plan("later/notes"));
    const refused = ws.peh("plan", "--from", "plan.yaml");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`scope_path "later/notes" resolves through the symlink later → ${join(outside, "made-later")}`);
    await rm(join(ws.path, "later"));
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    await symlink(outside, join(ws.path, "later"));
    await mkdir(join(outside, "notes")); // its target exists by the time the run starts
    await expectRefused(ws.peh("run", "--trust-root", "."), "later");
  });

  it("refuses a cwd replaced by a link out after the approval, recording where it would have run", async () => {
    await mkdir(join(ws.path, "out"));
    await mkdir(join(ws.path, "web"));
    await ws.write("plan.yaml", plan("out", " cwd: web,"));
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    await rm(join(ws.path, "web"), { recursive: true });
    await symlink(outside, join(ws.path, "web"));
    const result = ws.peh("run", "--trust-root", ".");
    expect(result.stdout).toContain("its working directory");
    await expectRefused(result, "web", true, "cwd");
  });

  it("checks again after a wait for trust: a link re-pointed meanwhile is refused, trusted or not", async () => {
    await mkdir(join(ws.path, "out"));
    await ws.write("plan.yaml", plan("out"));
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    expect(ws.peh("run").code).toBe(3); // no trusted root: the worker waits for trust
    await rm(join(ws.path, "out"), { recursive: true });
    await symlink(outside, join(ws.path, "out"));
    expect(ws.peh("trust", "--task", "write", "--as", "ana").code).toBe(0);
    await expectRefused(ws.peh("run"), "out", false);
  });

  it("refuses a worker still waiting for trust once its link leads out, without anyone trusting it", async () => {
    await mkdir(join(ws.path, "out"));
    await ws.write("plan.yaml", plan("out"));
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    expect(ws.peh("run").code).toBe(3);
    await rm(join(ws.path, "out"), { recursive: true });
    await symlink(outside, join(ws.path, "out"));
    await expectRefused(ws.peh("run"), "out", false);
  });
});
