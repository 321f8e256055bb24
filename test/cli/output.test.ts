// `peh output [RUN] TASK`: what an attempt printed, from its attempt log, escaped for the terminal
// unless --raw; and how a failure points to it: its progress line shows the last lines the process
// printed and the log's path, and the run's summary the `peh output` command.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.remove());

/** A control character a terminal would obey (line feeds and tabs are text). */
const LIVE = /[\x00-\x08\x0b-\x1f\x7f]/;

/** Fails on its first attempt after hostile output (a title change, a screen clear, colours, a carriage return, a bell), then succeeds. */
const FLAKY = [
  "n=$(cat tries 2>/dev/null || echo 0); n=$((n+1)); echo $n > tries",
  'if [ "$n" -eq 1 ]; then',
  "  printf 'starting\\n\\033]0;all green\\007\\033[2J\\033[31mred\\033[0m\\rcovered\\007\\n'",
  "  echo 'fetch: ECONNRESET while reading' >&2; exit 1",
  "fi",
  "echo fetched",
].join("\n");

async function flakyRun(): Promise<{ run: string; stdout: string }> {
  await ws.write("fetch.sh", `${FLAKY}\n`);
  await ws.write(
    "plan.yaml",
    [
      "objective: Fetch the data",
      "recovery: { transient: { delays: [10ms] } }",
      "tasks:",
      "  - { id: fetch, objective: Fetch the data, scope: workspace, run: 'sh ./fetch.sh', acceptance_tests: ['test -s tries'] }",
    ].join("\n"),
  );
  const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
  expect(result.code, result.stderr).toBe(0);
  const runs = JSON.parse(ws.peh("runs", "--json").stdout) as { run_id: string }[];
  return { run: runs[0]!.run_id, stdout: result.stdout };
}

describe("peh output", () => {
  it("prints the latest attempt's log: its commands, their output and their exits", async () => {
    await flakyRun();
    const result = ws.peh("output", "fetch");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\$ sh \.\/fetch\.sh\nfetched\n\n\[exit 0 after \d+ ms\]\n\$ test -s tries\n\n\[exit 0 after \d+ ms\]\n$/);
    expect(result.stderr).toMatch(/fetch, attempt 2 of 2 \(succeeded\) · \S+\/attempts\/fetch#2\.log/);
  });

  it("prints an earlier attempt, its control characters escaped", async () => {
    const { run } = await flakyRun();
    for (const args of [["fetch", "--attempt", "1"], [run, "fetch", "--attempt", "1"]]) {
      const result = ws.peh("output", ...args);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain("starting\n\\x1b]0;all green\\x07\\x1b[2J\\x1b[31mred\\x1b[0m\\rcovered\\x07\n");
      expect(result.stdout).toContain("fetch: ECONNRESET while reading\n");
      expect(result.stdout).not.toMatch(LIVE);
    }
  });

  it("prints the log as it was written with --raw, and as data with --json", async () => {
    const { run } = await flakyRun();
    expect(ws.peh("output", "fetch", "--attempt", "1", "--raw").stdout).toContain("\x1b]0;all green\x07\x1b[2J");
    const json = JSON.parse(ws.peh("output", "fetch", "--json").stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ run_id: run, task_id: "fetch", attempt: 2, attempts: 2, state: "succeeded" });
    expect(json.log).toMatch(new RegExp(`/runs/${run}/attempts/fetch#2\\.log$`));
    expect(json.output).toContain("fetched\n");
  });

  it("refuses an unknown task, attempt or run clearly (exit 2)", async () => {
    await flakyRun();
    const refusals: [string[], RegExp, RegExp][] = [
      [["nope"], /run r-\S+ has no task "nope"/, /its tasks are: fetch/],
      [["fetch", "--attempt", "3"], /task fetch has no attempt 3: it has had attempts 1 to 2/, /peh output r-\S+ fetch --attempt 2/],
      [["fetch", "--attempt", "first"], /--attempt wants an attempt's number \(1, 2, …\), not "first"/, /peh status/],
      [["r-19990101-000000-0000", "fetch"], /r-19990101-000000-0000/, /peh runs/],
    ];
    for (const [args, message, hint] of refusals) {
      const result = ws.peh("output", ...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(hint);
    }
  });

  it("says a task that has not started has no output yet (exit 2)", async () => {
    await ws.write("plan.yaml", "objective: Fetch\ntasks:\n  - { id: fetch, objective: Fetch the data, scope: workspace, run: 'true' }\n");
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    const result = ws.peh("output", "fetch");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/task fetch of run r-\S+ has not started yet \(pending\): it has no output/);
  });
});

describe("peh run › a failure shows its output", () => {
  it("prints the last lines the process printed, escaped, and the log's path; the summary names peh output", async () => {
    await ws.write("fetch.sh", `${FLAKY.replace("echo fetched", "exit 1")}\n`);
    await ws.write(
      "plan.yaml",
      ["objective: Fetch the data", "recovery: { transient: { max_retries: 0 } }", "tasks:", "  - { id: fetch, objective: Fetch the data, scope: workspace, run: 'sh ./fetch.sh' }"].join("\n"),
    );
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(
      /\[Task 1\/1\] ✗ fetch: exit 1 \(transient\)\n {4}│ starting\n {4}│ \\x1b\]0;all green\\x07\\x1b\[2J\\x1b\[31mred\\x1b\[0m\\rcovered\\x07\n {4}│ fetch: ECONNRESET while reading\n {4}log: \.peh\/runs\/r-\S+\/attempts\/fetch#1\.log\n/,
    );
    expect(result.stdout).toMatch(/ {2}✗ fetch: transient, attempt 1 · peh output r-\S+ fetch/);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(LIVE);
  });

  it("refuses a $PEH_ATTEMPT_LOG_MAX that is not a size before recording anything (exit 2)", async () => {
    await ws.write("plan.yaml", "objective: Fetch\ntasks:\n  - { id: fetch, objective: Fetch the data, scope: workspace, run: 'true' }\n");
    ws.env.PEH_ATTEMPT_LOG_MAX = "huge";
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    delete ws.env.PEH_ATTEMPT_LOG_MAX;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PEH_ATTEMPT_LOG_MAX must be a size of at least 4K .* not "huge"/);
    expect(ws.peh("runs", "--json").stdout.trim()).toBe("[]");
  });
});
