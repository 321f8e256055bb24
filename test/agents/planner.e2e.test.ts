// `peh plan --planner claude` through a fake Claude Code: a valid answer becomes the run's plan;
// an invalid one is shown with its problems, and nothing is recorded.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

const fake = fileURLToPath(new URL("../fixtures/agents/fake-planner.mjs", import.meta.url));

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
  ws.env.FAKE_PLANNER_PROMPT = `${ws.path}/../planner-prompt.txt`;
  await ws.write("package.json", JSON.stringify({ scripts: { test: "vitest" } }));
});
afterEach(async () => ws.remove());

describe("peh plan --planner claude", () => {
  it("a valid answer becomes the plan, from a prompt with the contract's context", async () => {
    ws.env.PEH_PLANNER_COMMAND = `node ${fake} valid`;
    const result = ws.peh("plan", "Write the 2.4 release notes", "--planner", "claude");
    expect(result.code, result.stderr).toBe(0);
    const shown = JSON.parse(ws.peh("show", "--json").stdout);
    expect(shown.plan.tasks.map((t: { id: string }) => t.id)).toEqual(["write-notes", "check-notes"]);
    const prompt = readFileSync(ws.env.FAKE_PLANNER_PROMPT!, "utf8");
    expect(prompt).toContain("Objective: Write the 2.4 release notes");
    expect(prompt).toContain('"layout":["package.json"]');
    expect(prompt).toContain('"git_status"');
    expect(prompt).toContain('"test_command":"npm test"');
  });

  it("an answer that does not fit the schema is shown with every problem, and nothing is recorded", async () => {
    ws.env.PEH_PLANNER_COMMAND = `node ${fake} invalid`;
    const result = ws.peh("plan", "Write the 2.4 release notes", "--planner", "claude");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/planner claude returned packets that do not fit the plan schema \(\d+ problems\)/);
    expect(result.stderr).toContain("0.objective");
    expect(result.stderr).toContain("0.scope");
    expect(result.stderr).toContain("nothing was recorded");
    expect(ws.peh("runs", "--json").stdout).not.toContain("r-");
  });
});
