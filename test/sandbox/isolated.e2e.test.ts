// An isolated attempt (isolation: worktree) under the sandbox: its worktree is the root it may
// write, the user's checkout and `.git` stay read-only, and peh still commits and merges its work.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprint, gitIn } from "../support/git-repo.js";
import { skipWithoutSandbox } from "../support/sandbox.js";
import { workspace, type Workspace } from "../support/workspace.js";

const agent = `node ${join(dirname(fileURLToPath(import.meta.url)), "../../examples/fake-agent.mjs")}`;
let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
  await ws.write(".gitignore", ".peh/\nplan.yaml\n");
  await ws.write("a.txt", "one\n");
  gitIn(ws.path, "init", "--quiet", "--initial-branch=main");
  gitIn(ws.path, "add", "-A");
  gitIn(ws.path, "commit", "--quiet", "-m", "initial");
});
afterEach(async () => ws.remove());

type Event = { type: string; data: Record<string, unknown> };
const runId = () => (JSON.parse(ws.peh("show", "--json").stdout) as { run_id: string }).run_id;
const events = async (): Promise<Event[]> => (await ws.read(`.peh/runs/${runId()}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as Event);
const plan = (steps: string, check: string) =>
  ["objective: Edit b.txt", "isolation: worktree", "tasks:", `  - { id: edit, objective: Edit b.txt, scope: workspace, agent: "${steps}", acceptance_tests: ["${check}"] }`].join("\n");
const run = () => ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--sandbox", "required", "--agent-command", agent);

describe.skipIf(skipWithoutSandbox())("an isolated attempt in the sandbox", () => {
  it("writes in its worktree only, and peh commits and merges it while the user's checkout stays as it was", async () => {
    await ws.write("plan.yaml", plan("append b.txt edited", "grep -q edited b.txt"));
    const before = await fingerprint(ws.path, [".peh"]);
    const result = run();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await fingerprint(ws.path, [".peh"])).toBe(before);
    expect(gitIn(ws.path, "show", `peh/${runId()}:b.txt`)).toBe("edited");
    const running = (await events()).find((e) => e.type === "WORKER_RUNNING");
    const profile = running?.data.sandbox as { sandboxed: boolean; writable: string[]; read_only: string[] };
    expect(profile.sandboxed).toBe(true);
    expect(profile.writable).toHaveLength(1);
    expect(profile.writable[0]).toContain(join(".git", "peh-worktrees", runId()));
    expect(profile.read_only.some((path) => path.endsWith(".git"))).toBe(true);
  });

  it("refuses an agent's own commit (git's directory is read-only), saying that peh makes the commit", async () => {
    await ws.write("plan.yaml", plan("append b.txt edited; commit my own", "true"));
    const result = run();
    expect(result.code).toBe(3);
    expect(result.stdout + result.stderr).toContain("which the sandbox keeps read-only: with isolation: worktree peh makes the task's commit itself, so tell the agent not to commit");
    expect((await events()).find((e) => e.type === "FAILURE_CLASSIFIED")?.data).toMatchObject({ class: "permission" });
  });

  it("refuses a write into the user's checkout: the attempt fails, the checkout is untouched", async () => {
    await ws.write("plan.yaml", plan(`append ${join(ws.path, "escaped.txt")} out`, "true"));
    const before = await fingerprint(ws.path, [".peh"]);
    const result = run();
    expect(result.code, result.stdout + result.stderr).not.toBe(0);
    expect(result.stdout).toContain("EROFS");
    expect(await fingerprint(ws.path, [".peh"])).toBe(before);
    expect((await events()).some((e) => e.type === "TASK_MERGED")).toBe(false);
  });
});
