// The README's tour of `peh ui` (examples/ui-tour.yaml), step by step with the CLI the page calls:
// the plan waits for the risky deploy's phrase, the smoke test fails once and waits for a human
// (no automatic retry), and a retry lets the run finish. The browser half is page.browser.test.ts.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

const tour = fileURLToPath(new URL("../../examples/ui-tour.yaml", import.meta.url));
let ws: Workspace;

beforeEach(async () => {
  ws = await workspace();
  await ws.write("ui-tour.yaml", await readFile(tour, "utf8"));
});
afterEach(async () => ws.remove());

describe("the tour of peh ui (examples/ui-tour.yaml)", () => {
  it("waits for the deploy's phrase, then for a decision on the smoke test, and finishes after a retry", async () => {
    expect(ws.peh("plan", "--from", "ui-tour.yaml").code).toBe(0);
    const refused = ws.peh("approve", "--as", "ana", "--confirm", "yes");
    expect(refused.stderr).toContain('--confirm "deploy 2.4.1 to production"');
    expect(ws.peh("approve", "--as", "ana", "--confirm", "deploy 2.4.1 to production").code).toBe(0);
    const first = ws.peh("run", "--trust-root", ".");
    expect(first.code).toBe(3);
    const waiting = JSON.parse(ws.peh("status", "--json").stdout) as { awaited: { kind: string; task_id: string }[]; tasks: { id: string; state: string }[] };
    expect(waiting.awaited).toMatchObject([{ kind: "decision", task_id: "smoke-test" }]);
    expect(Object.fromEntries(waiting.tasks.map((task) => [task.id, task.state]))).toEqual({ build: "succeeded", "unit-tests": "succeeded", lint: "succeeded", "smoke-test": "awaiting_decision", "deploy-prod": "pending" });
    expect(ws.peh("decide", "--task", "smoke-test", "retry", "--as", "ana").code).toBe(0);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(0);
    const done = JSON.parse(ws.peh("status", "--json").stdout) as { plan: { state: string }; progress: { succeeded: number; total: number } };
    expect(done).toMatchObject({ plan: { state: "completed" }, progress: { succeeded: 5, total: 5 } });
  });
});
