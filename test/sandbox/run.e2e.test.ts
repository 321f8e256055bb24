// The sandbox through `peh run`: a task's escape fails and the run's log stays intact, each
// attempt's profile is in `peh log`; and the modes where no bwrap is found (a PATH without it):
// auto runs and warns once, required refuses with exit 2 and records nothing.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PehEventSchema } from "../../events/index.js";
import { peh } from "../support/cli.js";
import { skipWithoutSandbox } from "../support/sandbox.js";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => (ws = await workspace()));
afterEach(() => ws.remove());

/** A PATH on which no bwrap (nor anything else) is found; peh runs tasks with /bin/sh, whose builtins suffice. */
const NO_BWRAP = { PATH: "/nonexistent-peh-test" };

const twoTasks = [
  "objective: Two quick steps",
  "tasks:",
  "  - { id: one, objective: Step one, scope: workspace, run: 'true', acceptance_tests: ['true'] }",
  "  - { id: two, objective: Step two, scope: workspace, run: 'true', acceptance_tests: ['true'] }",
].join("\n");

async function eventsOf(): Promise<{ type: string; seq: number; data: Record<string, unknown> }[]> {
  const [runId] = await readdir(join(ws.path, ".peh", "runs"));
  const text = await ws.read(`.peh/runs/${runId}/events.jsonl`);
  return text.trimEnd().split("\n").map((line) => PehEventSchema.parse(JSON.parse(line)) as never);
}

describe.skipIf(skipWithoutSandbox())("peh run › sandboxed", () => {
  it("fails a task that writes into the run's own log, and the log stays intact", async () => {
    await ws.write(
      "plan.yaml",
      [
        "objective: Try to forge the log",
        "tasks:",
        `  - { id: forge, objective: Append to the log, scope: module, scope_path: mod, run: 'for f in ${ws.path}/.peh/runs/*/events.jsonl; do echo forged >> "$f"; done' }`,
      ].join("\n"),
    );
    await mkdir(join(ws.path, "mod"));
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toMatch(/Read-only file system/);
    const log = await eventsOf(); // every line parses as an event
    expect(log.map((event) => event.seq)).toEqual(log.map((_, i) => i + 1));
    expect(JSON.stringify(log)).not.toContain('"forged"');
    expect(log.find((event) => event.type === "TASK_FAILED")).toBeDefined();
  });

  it("shows each attempt's profile in peh log, peh status and the report", async () => {
    await ws.write("plan.yaml", twoTasks);
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(0);
    const log = ws.peh("log").stdout;
    const running = log.split("\n").filter((line) => line.includes("WORKER_RUNNING"));
    expect(running).toHaveLength(2);
    for (const line of running) expect(line).toMatch(/sandboxed · writes \S+\/ws and a private \/tmp · read-only \S+\/ws\/\.peh · no network/);
    const profile = (await eventsOf()).find((event) => event.type === "WORKER_RUNNING")?.data.sandbox;
    expect(profile).toMatchObject({ mode: "auto", sandboxed: true, network: false });
    expect(ws.peh("status").stdout).toContain("Sandbox: 2 latest attempts sandboxed, 0 not");
    expect(ws.peh("report").stdout).toMatch(/## Sandbox\n\n- \*\*one\*\*: sandboxed · writes/);
  });
});

describe("peh run › where bwrap is not found", () => {
  /** `peh args` with a PATH that has no bwrap. */
  const withoutBwrap = (...args: string[]) => peh(args, { cwd: ws.path, env: { ...ws.env, ...NO_BWRAP } });

  it("auto (the default) runs every task unsandboxed and says so once, on the terminal and in the log", async () => {
    await ws.write("plan.yaml", twoTasks);
    const result = withoutBwrap("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "1");
    expect(result.code, result.stderr).toBe(0);
    const said = `${result.stdout}${result.stderr}`.match(/tasks run WITHOUT a sandbox/g) ?? [];
    expect(said).toHaveLength(1);
    expect(result.stdout).toMatch(/bwrap \(bubblewrap\) was not found on the PATH/);
    const log = ws.peh("log").stdout;
    expect(log).toMatch(/BOOTSTRAP_PHASE_COMPLETED · cli_entry \(.*tasks run WITHOUT a sandbox/);
    const running = log.split("\n").filter((line) => line.includes("WORKER_RUNNING"));
    expect(running).toHaveLength(2);
    for (const line of running) expect(line).toMatch(/NOT sandboxed \(no sandbox here: bwrap \(bubblewrap\) was not found/);
  });

  it("required refuses to start any attempt: exit 2, the fix named, nothing recorded", async () => {
    await ws.write("plan.yaml", twoTasks);
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    const before = await eventsOf();
    const result = withoutBwrap("run", "--trust-root", ".", "--sandbox", "required");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the sandbox is required but does not work here: bwrap \(bubblewrap\) was not found on the PATH/);
    expect(result.stderr).toContain("apt-get install bubblewrap");
    expect(await eventsOf()).toEqual(before);
  });

  it("takes the mode from the user config, and --sandbox wins over it", async () => {
    await ws.write("plan.yaml", twoTasks);
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    await mkdir(join(ws.env.XDG_CONFIG_HOME!, "peh"), { recursive: true });
    await writeFile(join(ws.env.XDG_CONFIG_HOME!, "peh", "config.yaml"), "sandbox: required\n");
    expect(withoutBwrap("run", "--trust-root", ".").code).toBe(2);
    const off = withoutBwrap("run", "--trust-root", ".", "--sandbox", "off");
    expect(off.code, off.stderr).toBe(0);
    expect(`${off.stdout}${off.stderr}`).not.toContain("WITHOUT a sandbox");
    expect(ws.peh("log").stdout).toMatch(/WORKER_RUNNING .*NOT sandboxed \(the sandbox is off/);
  });

  it("refuses a --sandbox that is not a mode before anything is recorded", async () => {
    await ws.write("plan.yaml", twoTasks);
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--sandbox", "sometimes");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--sandbox must be auto, required, off, not "sometimes"');
    await expect(readdir(join(ws.path, ".peh", "runs"))).rejects.toThrow();
  });
});
