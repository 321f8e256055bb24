// Every command on the PostgreSQL store, through the built binary: plan, approve, run (waiting
// for trust, then for a decision), trust, decide, status, log, report, replay, output, runs, and
// the errors of a server that is not there. Nothing is written to a `.peh` directory.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { peh } from "../support/cli.js";
import { describeWithPostgres } from "../support/postgres.js";
import { tempDir } from "../support/temp-dir.js";

const plan = `objective: Try the PostgreSQL store
tasks:
  - id: one
    objective: Write a file
    scope: workspace
    run: echo hello from one > one.txt && echo printed by one
    acceptance_tests: ["test -f one.txt"]
  - id: flaky
    objective: Fail once, then pass
    scope: workspace
    depends_on: [one]
    run: test -f flaky.flag || { touch flaky.flag; echo first try fails; exit 1; }
    acceptance_tests: ["true"]
    recovery: { logic_error: { action: escalate } }
  - id: last
    objective: Finish
    scope: workspace
    depends_on: [flaky]
    run: echo done > last.txt
    acceptance_tests: ["test -f last.txt"]
`;

describeWithPostgres("peh on the PostgreSQL store", (server) => {
  it("takes a plan through approval, trust, a decision and the run to its report, every view reading the server", async () => {
    const dir = await tempDir();
    try {
      const workspace = join(dir.path, "ws");
      await mkdir(workspace);
      await writeFile(join(workspace, "plan.yaml"), plan);
      const url = await server().database();
      const env = { PEH_STORE: url, XDG_CONFIG_HOME: join(dir.path, "config"), XDG_STATE_HOME: join(dir.path, "state"), PEH_TRUST_ROOTS: "" };
      const run = (...args: string[]) => peh(args, { cwd: workspace, env });

      const planned = run("plan", "--from", "plan.yaml", "--json");
      expect(planned.code, planned.stderr).toBe(0);
      const runId = JSON.parse(planned.stdout).run_id as string;
      expect(run("runs").stdout).toContain(runId);
      expect(run("approve", "--as", "ana").code).toBe(0);

      const untrusted = run("run");
      expect(untrusted.code).toBe(3);
      expect(untrusted.stderr).toContain(`peh trust ${runId} --task one --as NAME`);
      expect(run("trust", "--root", ".", "--as", "ana").code).toBe(0);

      const failed = run("run");
      expect(failed.code).toBe(3);
      expect(failed.stderr).toContain("peh decide");
      expect(run("status", "--json").stdout).toContain('"awaiting_decision"');
      expect(run("decide", "--task", "flaky", "retry", "--as", "ana").code).toBe(0);

      const finished = run("run");
      expect(finished.code, finished.stderr).toBe(0);
      const status = JSON.parse(run("status", "--json").stdout);
      expect(status).toMatchObject({ run_id: runId, plan: { state: "completed" } });
      expect(run("report").stdout).toContain("**completed**");
      const log = run("log");
      expect(log.stdout).toContain("DECISION_RECORDED");
      expect(log.stdout).toContain("EXECUTION_COMPLETE");
      expect(run("replay", "--at", "3").stdout).toContain("As of event #3");
      expect(run("output", "one").stdout).toContain("printed by one");
      // Another host has none of this one's files: the output comes from the store.
      const elsewhere = { ...env, XDG_STATE_HOME: join(dir.path, "other-host") };
      const output = peh(["output", "flaky", "--attempt", "1", "--json"], { cwd: dir.path, env: elsewhere });
      expect(output.code, output.stderr).toBe(0);
      expect(JSON.parse(output.stdout)).toMatchObject({ attempt: 1, log: expect.stringContaining("output of flaky#1") });
      expect(JSON.parse(output.stdout).output).toContain("first try fails");
      // The store is the server: nothing was made beside the workspace.
      expect(existsSync(join(workspace, ".peh"))).toBe(false);
      // The log is whole: gapless from 1.
      const events = run("log", "--json").stdout.trim().split("\n").map((line) => JSON.parse(line) as { seq: number });
      expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    } finally {
      await dir.remove();
    }
  });

  it("names the same store by the PG* variables with --store postgres", async () => {
    const url = new URL(await server().database());
    const env = { PEH_STORE: "", PGHOST: url.hostname, PGPORT: url.port, PGUSER: url.username, PGDATABASE: url.pathname.slice(1) };
    const listed = peh(["--store", "postgres", "runs"], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("no runs in this store yet");
  });

  it("exits 5 for a server that is not there, naming it without its password and the fix", () => {
    const port = server().port + 2;
    const result = peh(["runs"], { env: { PEH_STORE: `postgres://ana:s3cret@127.0.0.1:${port}/peh` } });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`cannot use the PostgreSQL store postgres://ana:***@127.0.0.1:${port}/peh`);
    expect(result.stderr).not.toContain("s3cret");
    expect(result.stderr).toContain("start the server");
  });
});
