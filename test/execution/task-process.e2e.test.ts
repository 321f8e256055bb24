// How a task's processes run, end to end (the built binary, real processes): its shell, its own
// environment, and its limits (each process's `timeout`, the attempt's `task_timeout`).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.remove());

const runId = () => JSON.parse(ws.peh("show", "--json").stdout).run_id as string;
const events = async () => (await ws.read(`.peh/runs/${runId()}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> });
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
    expect(await attemptLog("build#1")).not.toContain("shell: "); // the default, /bin/sh -e, is not named
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

describe("a task's limits", () => {
  const failure = async () => {
    const log = await events();
    return { failed: log.find((e) => e.type === "TASK_FAILED")?.data, classified: log.find((e) => e.type === "FAILURE_CLASSIFIED")?.data };
  };
  const noRetry = { transient: { max_retries: 0 } };

  it("task_timeout bounds the command and its checks together: a slow check is stopped, as a timeout", async () => {
    await plan({
      recovery: noRetry,
      tasks: [{ id: "build", objective: "Build dist/app.js", scope: "workspace", run: "echo built", acceptance_tests: ["sleep 30"], timeout: "20s", task_timeout: "1s" }],
    });
    const result = run();
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("✗ build: timed out (transient)");
    const { failed, classified } = await failure();
    expect(failed).toMatchObject({ stage: "verify", timed_out: true, error: { code: "TIMEOUT", message: "the task_timeout of 1s (command and acceptance tests together) ran out while the acceptance test `sleep 30` ran" } });
    expect(classified).toMatchObject({ class: "transient", rule: "timeout", evidence: (failed!.error as { message: string }).message });
  });

  it("task_timeout stops a command that would outlast it, and says which limit", async () => {
    await plan({ recovery: noRetry, tasks: [{ id: "build", objective: "Build dist/app.js", scope: "workspace", run: "sleep 30", acceptance_tests: ["true"], task_timeout: "1s" }] });
    expect(run().code).toBe(3);
    const { failed, classified } = await failure();
    expect(failed).toMatchObject({ stage: "run", timed_out: true, error: { code: "TIMEOUT", message: "the task_timeout of 1s (command and acceptance tests together) ran out while the command ran" } });
    expect(classified).toMatchObject({ class: "transient", evidence: "the task_timeout of 1s (command and acceptance tests together) ran out while the command ran" });
  });

  it("timeout bounds each check as it bounds the command: a check that exceeds it failed as a timeout", async () => {
    await plan({ recovery: noRetry, tasks: [{ id: "build", objective: "Build dist/app.js", scope: "workspace", run: "true", acceptance_tests: ["true", "sleep 30"], timeout: "1s" }] });
    expect(run().code).toBe(3);
    const { failed, classified } = await failure();
    expect(failed).toMatchObject({ stage: "verify", timed_out: true, evidence: [{ command: "true", exit_code: 0 }, { command: "sleep 30", exit_code: null }] });
    expect(classified).toMatchObject({ class: "transient", evidence: "the acceptance test `sleep 30` exceeded its timeout of 1s" });
  });
});
