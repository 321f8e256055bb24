// How a task's processes run, end to end (the built binary, real processes): its shell and its
// own environment.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.remove());

const runId = () => JSON.parse(ws.peh("show", "--json").stdout).run_id as string;
const attemptLog = (worker: string) => ws.read(`.peh/runs/${runId()}/attempts/${worker}.log`);
const run = () => ws.peh("run", "--from", "plan.json", "--approve-as", "ana", "--trust-root", ".");
const plan = (fields: Record<string, unknown>) => ws.write("plan.json", JSON.stringify({ objective: "Build dist/app.js", ...fields }));

describe("a task's shell", () => {
  it("stops a multi-line run at its first failing line by default, as GitHub Actions and make do", async () => {
    await plan({
      recovery: { logic_error: { action: "escalate" } },
      tasks: [{ id: "build", objective: "Copy dist/app.js", scope: "workspace", run: "false\ncp does-not-exist dist/\necho finished > finished.txt" }],
    });
    const result = run();
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("[Task 1/1] ✗ build: exit 1 (logic_error)");
    expect(await ws.read("finished.txt")).toBe("");
    expect(await attemptLog("build#1")).toContain("shell: /bin/sh -e\n");
  });

  it("is the plan's unless the task names its own, and the plan view shows the ones not by default", async () => {
    await plan({
      shell: "bash",
      tasks: [
        { id: "with-bash", objective: "Write bash.txt", scope: "workspace", run: 'echo "$BASH_VERSION" > bash.txt', acceptance_tests: ["test -s bash.txt"] },
        { id: "lenient", objective: "Write lenient.txt", scope: "workspace", shell: "sh {0}", run: "false\necho on > lenient.txt", acceptance_tests: ["grep -q on lenient.txt"] },
      ],
    });
    const result = run();
    expect(result.code, result.stderr).toBe(0);
    expect(await ws.read("bash.txt")).toMatch(/^\d+\./);
    expect(await ws.read("lenient.txt")).toBe("on\n");
    expect(await attemptLog("with-bash#1")).toContain("shell: bash --noprofile --norc -eo pipefail\n");
    expect(await attemptLog("lenient#1")).toContain("shell: sh {0}\n");
    const shown = ws.peh("show").stdout;
    expect(shown).toContain("Shell: bash");
    expect(shown).toContain("shell: sh {0}");
  });
});

describe("a task's env", () => {
  it("reaches every process of the task over the plan's and the run's, its secret values redacted", async () => {
    const secret = "tok-0123456789abcdef";
    await plan({
      env: { MODE: "plan", SHARED: "from the plan" },
      tasks: [
        {
          id: "deploy-docs",
          objective: "Write env.txt",
          scope: "workspace",
          env: { MODE: "task", API_TOKEN: secret },
          run: 'echo "$MODE, $SHARED" > env.txt; echo "using $API_TOKEN"',
          acceptance_tests: ['test "$MODE" = task', 'echo "checked with $API_TOKEN"'],
        },
        { id: "other", objective: "Write other.txt", scope: "workspace", run: 'echo "$MODE, ${API_TOKEN-none}" > other.txt' },
      ],
    });
    const result = run();
    expect(result.code, result.stderr).toBe(0);
    expect(await ws.read("env.txt")).toBe("task, from the plan\n");
    expect(await ws.read("other.txt")).toBe("plan, none\n");
    const log = await attemptLog("deploy-docs#1");
    expect(log).toContain("using [redacted:API_TOKEN]");
    expect(log).toContain("checked with [redacted:API_TOKEN]");
    expect(log).not.toContain(secret);
    const shown = ws.peh("show").stdout;
    expect(shown).toContain("Env: MODE=plan, SHARED=from the plan");
    expect(shown).toContain("env: MODE=task, API_TOKEN=[secret, not shown]");
    expect(shown).not.toContain(secret);
  });
});
