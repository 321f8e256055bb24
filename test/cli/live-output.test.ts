// An attempt's output while it runs, from another process, through the built binary: `peh log
// --follow` shows the line a long task printed before the task ends (redacted, once), on the
// embedded store from its files and on a throwaway PostgreSQL from the server, read as another
// host would (a state directory of its own: none of the runner's files). On PostgreSQL, peh ui's
// output API and peh export --html show the attempt's output from that other host too.
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { peh } from "../support/cli.js";
import { describeWithPostgres } from "../support/postgres.js";
import { workspace, type Workspace } from "../support/workspace.js";

const SECRET = "s3cr3t-live-output-4f9a2c";

// The task prints a line with a secret in it, then waits until the test creates `go`.
const plan = `objective: Print while running
tasks:
  - id: long
    objective: Print a line, then wait for go
    scope: workspace
    run: "echo first line from long token=$API_TOKEN; while [ ! -f go ]; do sleep 0.05; done; echo after the signal"
`;

/** The processes a test started, stopped after it whatever happened (a failed wait leaves them running). */
const started: { kill(signal: NodeJS.Signals): void }[] = [];

/** After each test: the task let go (it waits for `go`), then what the test started stopped. */
async function cleanUp(ws: Workspace): Promise<void> {
  await ws.write("go", "");
  for (const child of started.splice(0)) child.kill("SIGTERM");
  await ws.remove();
}

/** Plans and approves the run; then a follower (as `followerEnv`) and the run (as the workspace's env) start. */
async function followALongTask(ws: Workspace, followerEnv: NodeJS.ProcessEnv): Promise<{ follower: readonly string[]; runId: string }> {
  await ws.write("plan.yaml", plan);
  const planned = ws.peh("plan", "--from", "plan.yaml", "--json");
  expect(planned.code, planned.stderr).toBe(0);
  const runId = JSON.parse(planned.stdout).run_id as string;
  expect(ws.peh("approve", "--as", "ana").code).toBe(0);
  const follower = ws.start(["log", runId, "--follow"], followerEnv);
  const run = ws.start(["run"], { API_TOKEN: SECRET });
  started.push(follower, run);
  // Only the attempt's output carries this line, and the task cannot end before `go` exists.
  await follower.line(/long#1 │ first line from long/);
  expect(follower.lines().some((line) => /TASK_COMPLETED|TASK_FAILED/.test(line))).toBe(false);
  await ws.write("go", "");
  expect(await run.exit).toBe(0);
  expect(await follower.exit).toBe(0);
  const lines = follower.lines();
  const printed = lines.filter((line) => line.includes("│ first line from long"));
  expect(printed, "the line once, redacted").toEqual(["  long#1 │ first line from long token=[redacted:API_TOKEN]"]);
  expect(lines.join("\n")).not.toContain(SECRET);
  // The rest of its output comes before the event that ends the attempt.
  const after = lines.findIndex((line) => line.includes("long#1 │ after the signal"));
  const completed = lines.findIndex((line) => line.includes("TASK_COMPLETED"));
  expect(after).toBeGreaterThan(lines.indexOf(printed[0]!));
  expect(completed).toBeGreaterThan(after);
  expect(lines.at(-1)).toContain("EXECUTION_COMPLETE");
  return { follower: lines, runId };
}

describe("peh log --follow on the embedded store", () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
    Object.assign(ws.env, { PEH_STORE: "", PEH_TRUST_ROOTS: ws.path, PEH_ACTOR: "ana" });
  });
  afterEach(() => cleanUp(ws));

  it("shows a long task's output line while it runs, read from its attempt log", async () => {
    await followALongTask(ws, {});
    // --no-output: the events alone.
    const quiet = ws.peh("log", "--no-output");
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).not.toContain("│");
  });
});

describeWithPostgres("attempts' output live in the PostgreSQL store", (server) => {
  let ws: Workspace;
  let elsewhere: NodeJS.ProcessEnv;
  beforeEach(async () => {
    ws = await workspace();
    const url = await server().database();
    Object.assign(ws.env, { PEH_STORE: url, XDG_STATE_HOME: join(ws.path, "..", "runner-host"), PEH_TRUST_ROOTS: ws.path, PEH_ACTOR: "ana" });
    // Another host: its own state directory, so none of the runner's attempt logs.
    elsewhere = { XDG_STATE_HOME: join(ws.path, "..", "other-host") };
  });
  afterEach(() => cleanUp(ws));

  it("shows a long task's output line on another host while it runs, and the ui and an export show it there", async () => {
    const { runId } = await followALongTask(ws, elsewhere);

    const ui = ws.start(["ui", "--no-open"], elsewhere);
    started.push(ui);
    try {
      const url = new URL((await ui.line(/http:\/\/127\.0\.0\.1:\d+\/\?token=/)).trim());
      const port = Number(url.port);
      const token = url.searchParams.get("token")!;
      const answer = await get(port, `/api/runs/${runId}/output?task=long&attempt=1`, { "x-peh-token": token });
      expect(answer.status, answer.body).toBe(200);
      const body = JSON.parse(answer.body) as { output: string; log: string };
      expect(body.output).toContain("first line from long token=[redacted:API_TOKEN]\n");
      expect(body.output).toContain("after the signal\n");
      expect(body.output).not.toContain(SECRET);
      expect(body.log).toContain("output of long#1");
    } finally {
      ui.kill("SIGTERM");
    }
    expect(await ui.exit).toBe(0);

    const exported = ws.start(["export", runId, "--html", "--out", "-"], elsewhere);
    expect(await exported.exit).toBe(0);
    const html = exported.lines().join("\n");
    const data = JSON.parse(/<script type="application\/json" id="peh-export">(.*?)<\/script>/s.exec(html)![1]!) as { outputs: Record<string, string> };
    expect(data.outputs["long#1"]).toContain("first line from long token=[redacted:API_TOKEN]\n");
    expect(data.outputs["long#1"]).toContain("after the signal\n");
    expect(html).not.toContain(SECRET);
  });

  it("loses no output that reached the server when the runner is killed mid-attempt, and keeps none twice when another host resumes the run", async () => {
    await ws.write("plan.yaml", plan);
    const planned = ws.peh("plan", "--from", "plan.yaml", "--json");
    expect(planned.code, planned.stderr).toBe(0);
    const runId = JSON.parse(planned.stdout).run_id as string;
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    const follower = ws.start(["log", runId, "--follow"], elsewhere);
    const first = ws.start(["run"], { API_TOKEN: SECRET });
    started.push(follower, first);
    await follower.line(/long#1 │ first line from long/);
    first.kill("SIGKILL");
    expect(await first.exit).not.toBe(0);
    // Another host takes the run over: attempt 1 is interrupted, attempt 2 runs (and finds go).
    await ws.write("go", "");
    const second = ws.start(["run"], { XDG_STATE_HOME: join(ws.path, "..", "second-runner"), API_TOKEN: SECRET });
    started.push(second);
    expect(await second.exit).toBe(0);
    expect(await follower.exit).toBe(0);

    const lines = follower.lines();
    expect(lines.filter((line) => line.includes("long#1 │ first line from long"))).toHaveLength(1);
    expect(lines.filter((line) => line.includes("long#2 │ first line from long"))).toHaveLength(1);
    expect(lines.findIndex((line) => line.includes("TASK_INTERRUPTED"))).toBeGreaterThan(lines.findIndex((line) => line.includes("long#1 │ first line")));
    // What attempt 1 sent before the kill is in the server once, read from a third host.
    const third = { XDG_STATE_HOME: join(ws.path, "..", "third-host") };
    const output = peh(["output", "long", "--attempt", "1", "--json"], { cwd: ws.path, env: { ...ws.env, ...third } });
    expect(output.code, output.stderr).toBe(0);
    const text = (JSON.parse(output.stdout) as { output: string }).output;
    expect(text.split("first line from long token=[redacted:API_TOKEN]\n")).toHaveLength(2);
    expect(text.startsWith("$ echo first line from long")).toBe(true);
    expect(text).not.toContain(SECRET);
  });
});

function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
