// Views that tell waiting, stopped and running apart: a task whose worker waits for trust is not
// "running"; a run under way that no live `peh run` holds is stopped, with the command that resumes
// it; a live one names its holder; and `peh trust` / `peh decide` say when that holder will pick
// the answer up by itself.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
  await ws.write("plan.yaml", "objective: Write a.txt\ntasks:\n  - { id: a, objective: Write a.txt, scope: workspace, run: 'echo a > a.txt', acceptance_tests: ['test -f a.txt'] }\n");
  expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
  expect(ws.peh("approve", "--as", "ana").code).toBe(0);
});
afterEach(async () => {
  delete ws.env.PEH_CRASH_AFTER_SEQ;
  await ws.remove();
});

const runId = () => JSON.parse(ws.peh("show", "--json").stdout).run_id as string;
const statusJson = () => JSON.parse(ws.peh("status", "--json").stdout) as { orchestrator?: { state: string; command?: string; pid?: number }; ledger: { task_id: string; standing: string }[] };

describe("peh status › who drives a run, and what a task waits for", () => {
  it("shows a task whose worker waits for trust as waiting for trust, and a run nothing runs as stopped, with the command to resume it", () => {
    expect(ws.peh("run").code).toBe(3); // no trusted root: the worker stops at trust_required
    const text = ws.peh("status").stdout;
    expect(text).toMatch(/^ {2}\? a +waiting for trust/m);
    expect(text).not.toMatch(/▸ a/);
    expect(text).toContain(`Orchestrator: none, the run is stopped: resume it with peh run ${runId()}`);
    const json = statusJson();
    expect(json.orchestrator).toEqual({ state: "stopped", command: `peh run ${runId()}` });
    expect(json.ledger.find((entry) => entry.task_id === "a")?.standing).toBe("waiting for trust");
    expect(ws.peh("runs").stdout).toMatch(new RegExp(`${runId()} {2}executing \\(stopped\\)`));
  });

  it("shows a run whose peh run was killed as stopped, though its lease file is still there", () => {
    ws.env.PEH_CRASH_AFTER_SEQ = "8";
    expect(ws.peh("run", "--trust-root", ".").code).toBeNull();
    expect(existsSync(join(ws.path, ".peh", "runs", runId(), "lease"))).toBe(true);
    expect(statusJson().orchestrator).toEqual({ state: "stopped", command: `peh run ${runId()}` });
  });

  it("names the live peh run that holds the run, and peh trust says that run will pick the trust up", async () => {
    const run = ws.start(["run", "--wait"]);
    await run.line(/waiting/);
    const live = statusJson().orchestrator;
    expect(live).toMatchObject({ state: "live", pid: expect.any(Number) });
    expect(ws.peh("status").stdout).toMatch(new RegExp(`Orchestrator: peh run, pid ${live!.pid} on host \\S+, started `));
    expect(ws.peh("runs").stdout).toContain(`executing (live, pid ${live!.pid})`);
    const trust = ws.peh("trust", "--task", "a", "--as", "ana");
    expect(trust.code, trust.stderr).toBe(0);
    expect(trust.stdout).toContain(`Next: nothing: the peh run that holds ${runId()} (pid ${live!.pid} on host `);
    expect(trust.stdout).toContain("will pick the trust up");
    expect(await run.exit).toBe(0);
    expect(statusJson().orchestrator).toBeUndefined(); // completed: nothing to drive
  });
});
