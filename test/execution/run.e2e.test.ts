// peh run end to end: real processes, real store, the built binary.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.remove());

const state = () => JSON.parse(ws.peh("show", "--json").stdout) as { state: string; tasks: Record<string, string> };
const events = async () => (await ws.read(`.peh/runs/${JSON.parse(ws.peh("show", "--json").stdout).run_id}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as { type: string; seq: number; actor: string; data: Record<string, unknown> });

/** Two tasks that each wait (bounded) for the other to have started: only parallel runs pass. */
const rendezvous = (me: string, other: string) =>
  `touch ${me}.started; i=0; while [ ! -f ${other}.started ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -f ${other}.started ] && echo ${me} >> order.txt`;

describe("peh run › scheduling", () => {
  it("runs dependencies first and independent tasks in parallel", async () => {
    await ws.write(
      "plan.yaml",
      [
        "objective: Build the diamond of app.js",
        "tasks:",
        "  - { id: a, objective: Start order.txt, scope: workspace, run: 'echo a >> order.txt' }",
        `  - { id: b, objective: Add b to order.txt, scope: workspace, depends_on: [a], run: "${rendezvous("b", "c")}" }`,
        `  - { id: c, objective: Add c to order.txt, scope: workspace, depends_on: [a], run: "${rendezvous("c", "b")}" }`,
        "  - { id: d, objective: End order.txt, scope: workspace, depends_on: [b, c], run: 'echo d >> order.txt' }",
      ].join("\n"),
    );
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "2");
    expect(result.code, result.stderr).toBe(0);
    const order = (await ws.read("order.txt")).trim().split("\n");
    expect(order[0]).toBe("a");
    expect(order.at(-1)).toBe("d");
    expect(order.slice(1, 3).sort()).toEqual(["b", "c"]);
    expect(result.stdout).toMatch(/\[Task 4\/4\] ✓ d: \d+\.\ds/);
    expect(result.stdout).toContain("completed: 4/4 succeeded");
  });

  it("runs twelve tasks at once with nothing but peh's own lines on stderr", async () => {
    // Each task waits (bounded) until all twelve have started, so it passes only if they overlap.
    const together = (id: string) => `touch ${id}.started; i=0; while [ "$(ls *.started | wc -l)" -lt 12 ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; [ "$(ls *.started | wc -l)" -ge 12 ]`;
    const tasks = Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, objective: `Wait for the others #${i}`, scope: "workspace", run: together(`t${i}`) }));
    await ws.write("plan.json", JSON.stringify({ objective: "Run twelve tasks at once", tasks }));
    const result = ws.peh("run", "--from", "plan.json", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "12");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("completed: 12/12 succeeded");
    expect(result.stderr).not.toMatch(/Warning|\(node:\d+\)/);
  });

  it("records the evidence of every acceptance test in TASK_COMPLETED", async () => {
    await ws.write("plan.yaml", "objective: Build x.js\ntasks:\n  - { id: x, objective: Build x.js, scope: workspace, run: 'echo x > x.js', acceptance_tests: ['test -f x.js', 'grep -q x x.js'] }\n");
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(0);
    const completed = (await events()).find((e) => e.type === "TASK_COMPLETED");
    expect((completed?.data.evidence as { command: string; exit_code: number }[]).map((e) => [e.command, e.exit_code])).toEqual([
      ["test -f x.js", 0],
      ["grep -q x x.js", 0],
    ]);
  });
});

describe("peh run › agent tasks", () => {
  /** Runs a one-task plan whose prompt is "Summarize the release in notes.md"; `run` is the task's own command, if any. */
  const runNotes = async (agentCommand: string, run?: string) => {
    const own = run === undefined ? "" : `run: '${run}', `;
    await ws.write("plan.yaml", `objective: Write notes.md\ntasks:\n  - { id: notes, objective: Write notes.md, scope: workspace, ${own}agent: 'Summarize the release in notes.md', acceptance_tests: ['test -s notes.md'] }\n`);
    return ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--agent-command", agentCommand);
  };

  it("writes the prompt (objective, scope, acceptance tests) to the agent command's stdin once ready", async () => {
    const result = await runNotes("cat > prompt.txt; echo done > notes.md");
    expect(result.code, result.stderr).toBe(0);
    const prompt = await ws.read("prompt.txt");
    expect(prompt).toContain("Summarize the release in notes.md");
    expect(prompt).toContain("Objective: Write notes.md");
    expect(prompt).toContain("- test -s notes.md");
  });

  it("gives the prompt to the task's own run command when a task has both (its own agent command)", async () => {
    const result = await runNotes("echo wrong > agent.txt", "cat > prompt.txt; echo done > notes.md");
    expect(result.code, result.stderr).toBe(0);
    expect(await ws.read("prompt.txt")).toContain("Summarize the release in notes.md");
    expect(await ws.read("agent.txt")).toBe("");
  });

  it("starts nothing when an agent task has no agent command, or one whose program is missing (exit 2), and runs once one is given", async () => {
    await ws.write("plan.yaml", "objective: Write notes.md\ntasks:\n  - { id: notes, objective: Write notes.md, scope: workspace, agent: 'Write it', acceptance_tests: ['test -s notes.md'] }\n");
    const planned = ws.peh("plan", "--from", "plan.yaml");
    expect(planned.stderr + planned.stdout).toMatch(/warning agent tasks cannot start as things are: notes \(no agent command\)/);
    ws.peh("approve", "--as", "ana");
    const before = (await events()).length;
    const none = ws.peh("run", "--trust-root", ".");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/an agent task of run r-\S+ cannot start: notes \(no agent command\); nothing was started/);
    expect(none.stderr).toMatch(/peh run r-\S+ --agent-command "claude -p"/);
    const missing = ws.peh("run", "--trust-root", ".", "--agent-command", "no-such-agent-cli -p");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('notes (its agent command "no-such-agent-cli -p" cannot start: "no-such-agent-cli" is not on PATH)');
    expect((await events()).length).toBe(before);
    expect(ws.peh("run", "--trust-root", ".", "--agent-command", "cat > /dev/null; echo done > notes.md").code).toBe(0);
  });
});

describe("peh run › stop on error", () => {
  const plan = [
    "objective: Fail app.js early",
    "tasks:",
    "  - { id: a, objective: Fail on app.js, scope: workspace, run: \"echo 'AssertionError: expected 1 to be 2' >&2; exit 1\" }",
    "  - { id: b, objective: Write b.txt, scope: workspace, run: 'echo b > b.txt' }",
    "  - { id: c, objective: Write c.txt after a, scope: workspace, depends_on: [a], run: 'echo c > c.txt' }",
  ].join("\n");

  it("starts nothing new after a failure and waits for a decision (exit 3 naming peh decide)", async () => {
    await ws.write("plan.yaml", plan);
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "1");
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("[Task 1/3] ✗ a: exit 1 (logic_error)");
    expect(result.stderr).toMatch(/peh decide r-\S+ --task a retry\|skip\|abort --as NAME/);
    expect(state().tasks).toMatchObject({ a: "awaiting_decision", b: "ready", c: "pending" });
    expect(await ws.read("b.txt")).toBe("");
    const classified = (await events()).find((e) => e.type === "FAILURE_CLASSIFIED");
    expect(classified?.data).toMatchObject({ class: "logic_error", evidence: "AssertionError: expected 1 to be 2" });
  });

  it("refuses a decision for a task that does not wait for one, naming the tasks that do (exit 2)", async () => {
    await ws.write("plan.yaml", plan);
    ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "1");
    const before = (await events()).length;
    const refused = ws.peh("decide", "--task", "c", "skip", "--as", "bo");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("`peh decide --task c skip` refused: task c is pending, not waiting for a decision (the run waits for a decision on a failed task)");
    expect(refused.stderr).not.toContain("RecordDecision");
    expect(refused.stderr).toContain("tasks waiting for a decision: a");
    expect((await events()).length).toBe(before);
  });

  it("abort ends the run: its other tasks skipped, dependents upstream_failed", async () => {
    await ws.write("plan.yaml", plan);
    ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "1");
    expect(ws.peh("decide", "--task", "a", "abort", "--as", "bo").code).toBe(0);
    const run = ws.peh("run", "--trust-root", ".");
    expect(run.code).toBe(1);
    expect(state()).toMatchObject({ state: "aborted", tasks: { a: "failed", b: "skipped", c: "upstream_failed" } });
    const decision = (await events()).find((e) => e.type === "DECISION_RECORDED");
    expect(decision).toMatchObject({ actor: "bo", data: { decision: "abort" } });
  });

  it("takes a decision from another process while peh run --wait waits", async () => {
    await ws.write("plan.yaml", plan);
    ws.peh("plan", "--from", "plan.yaml");
    ws.peh("approve", "--as", "ana");
    const run = ws.start(["run", "--wait", "--trust-root", ".", "--concurrency", "1"]);
    await run.line(/waiting: task a failed/);
    expect(ws.peh("decide", "--task", "a", "skip", "--as", "bo").code).toBe(0);
    expect(await run.line(/^completed/)).toMatch(/^completed with 1 failure skipped by bo: a \(logic_error\) · 2\/3 succeeded/);
    expect(await run.exit).toBe(0);
    expect(state()).toMatchObject({ state: "completed", tasks: { a: "skipped", b: "succeeded", c: "succeeded" } });
  });
});

describe("peh run › trust", () => {
  const plan = "objective: Build t.js\ntasks:\n  - { id: t, objective: Build t.js, scope: workspace, run: 'echo t > t.js' }\n";

  it("waits (exit 3) for a worker outside every trusted root, until peh trust --task", async () => {
    await ws.write("plan.yaml", plan);
    const waiting = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana");
    expect(waiting.code).toBe(3);
    expect(waiting.stderr).toMatch(/peh trust r-\S+ --task t --as NAME/);
    expect(await ws.read("t.js")).toBe("");
    expect(ws.peh("trust", "--task", "t", "--as", "ana").code).toBe(0);
    expect(ws.peh("run").code).toBe(0);
    const resolved = (await events()).find((e) => e.type === "WORKER_TRUST_RESOLVED");
    expect(resolved?.data.resolution).toEqual({ source: "manual", by: "ana" });
  });

  it("trusts a root for this run and the next ones (user config), never from the plan", async () => {
    await ws.write("plan.yaml", plan);
    ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana");
    expect(ws.peh("trust", "--root", ".", "--as", "ana").code).toBe(0);
    expect(ws.peh("run").code).toBe(0);
    const resolved = (await events()).find((e) => e.type === "WORKER_TRUST_RESOLVED");
    expect(resolved?.data.resolution).toMatchObject({ source: "allowlist" });
    // The next run in the same workspace is trusted by the config alone.
    await ws.write("plan2.yaml", plan.replace("t.js", "u.js").replaceAll("id: t", "id: u"));
    expect(ws.peh("run", "--from", "plan2.yaml", "--approve-as", "ana").code).toBe(0);
  });

  it("saves no root that does not exist (a typo would trust whoever makes that path later)", async () => {
    await ws.write("plan.yaml", plan);
    ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana");
    const typo = ws.peh("trust", "--root", "./no-such-dir", "--as", "ana");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/\S+\/no-such-dir does not exist: peh trusts only a directory that exists/);
    expect(await readFile(join(ws.env.XDG_CONFIG_HOME!, "peh", "config.yaml"), "utf8").catch(() => "")).not.toContain("no-such-dir");
    const belowFile = ws.peh("trust", "--root", "./plan.yaml/sub", "--as", "ana");
    expect(belowFile.code).toBe(2);
    expect(belowFile.stderr).toMatch(/plan\.yaml\/sub is below a file, not a directory: peh trusts only a directory that exists/);
  });
});

describe("peh run › the user's config", () => {
  it("names the config file and the line when it is not valid YAML (exit 2), and runs nothing", async () => {
    const config = join(ws.env.XDG_CONFIG_HOME!, "peh", "config.yaml");
    await mkdir(dirname(config), { recursive: true });
    await writeFile(config, "trust:\n  roots: [unclosed\n");
    await ws.write("plan.yaml", "objective: Build t.js\ntasks:\n  - { id: t, objective: Build t.js, scope: workspace, run: 'echo t > t.js' }\n");
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${config} is not valid YAML (line 3)`);
    expect(result.stderr).toContain("hint");
    expect(result.stderr).not.toContain("unexpected error");
    expect(await ws.read("t.js")).toBe("");
  });
});

describe("peh run › interruption", () => {
  const plan = [
    "objective: Count the steps in count.txt",
    "tasks:",
    "  - { id: first, objective: Append first to count.txt, scope: workspace, run: 'echo first >> count.txt' }",
    "  - { id: slow, objective: Append slow to count.txt, scope: workspace, depends_on: [first], run: 'sleep 2; echo slow >> count.txt' }",
    "  - { id: last, objective: Append last to count.txt, scope: workspace, depends_on: [slow], run: 'echo last >> count.txt' }",
  ].join("\n");

  it("drains on SIGTERM: stops the running group, records it interrupted, and a later run resumes", async () => {
    await ws.write("plan.yaml", plan);
    ws.peh("plan", "--from", "plan.yaml");
    ws.peh("approve", "--as", "ana");
    const run = ws.start(["run", "--trust-root", "."]);
    await run.line(/\[Task 1\/3\] ✓ first/);
    run.kill("SIGTERM");
    expect(await run.exit).toBe(143);
    expect(state().tasks).toMatchObject({ first: "succeeded", slow: "interrupted", last: "pending" });
    expect((await events()).some((e) => e.type === "TASK_INTERRUPTED")).toBe(true);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(0);
    expect((await ws.read("count.txt")).trim().split("\n")).toEqual(["first", "slow", "last"]);
  });

  it("refuses a second peh run on a live run (exit 4, naming the holder's pid)", async () => {
    await ws.write("plan.yaml", plan);
    ws.peh("plan", "--from", "plan.yaml");
    ws.peh("approve", "--as", "ana");
    const run = ws.start(["run", "--trust-root", "."]);
    await run.line(/\[Task 1\/3\] ✓ first/);
    const second = ws.peh("run", "--trust-root", ".");
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(/another peh \(pid \d+ on host \S+, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/);
    expect(await run.exit).toBe(0);
  });
});

describe("peh run › a change mid-run", () => {
  const plan = [
    "objective: Ship app.js in two steps",
    "tasks:",
    "  - { id: s, objective: Write s.txt, scope: workspace, run: 'echo s > s.txt' }",
    "  - { id: a, objective: Fail on app.js with bad input, scope: workspace, depends_on: [s], run: \"echo 'usage: app.js FILE' >&2; exit 2\" }",
    "  - { id: b, objective: Write b.txt after a, scope: workspace, depends_on: [a], run: 'echo b > b.txt' }",
  ].join("\n");
  const changed = `${plan}\n  - { id: n, objective: Write n.txt after b, scope: workspace, depends_on: [b], run: 'echo n > n.txt' }\n`;

  it("needs --confirm-change, never touches a task that succeeded, and a waiting peh run picks the change up", async () => {
    await ws.write("plan.yaml", plan);
    await ws.write("changed.yaml", changed);
    await ws.write("touches-s.yaml", changed.replace("echo s > s.txt", "echo t > s.txt"));
    ws.peh("plan", "--from", "plan.yaml");
    ws.peh("approve", "--as", "ana");
    const run = ws.start(["run", "--wait", "--trust-root", "."]);
    await run.line(/waiting: task a failed/);
    const before = (await events()).length;

    const unconfirmed = ws.peh("modify", "--from", "changed.yaml", "--as", "bo");
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("--confirm-change");
    const touching = ws.peh("modify", "--from", "touches-s.yaml", "--confirm-change", "--as", "bo");
    expect(touching.code).toBe(2);
    expect(touching.stderr).toMatch(/task:s in state succeeded/);
    expect((await events()).length).toBe(before);

    const change = ws.peh("modify", "--from", "changed.yaml", "--confirm-change", "--as", "bo");
    expect(change.code, change.stderr).toBe(0);
    expect(change.stdout).toContain("PLAN_CHANGED");
    expect(ws.peh("decide", "--task", "a", "skip", "--as", "bo").code).toBe(0);
    expect(await run.exit).toBe(0);
    expect(state()).toMatchObject({ state: "completed", tasks: { s: "succeeded", a: "skipped", b: "succeeded", n: "succeeded" } });
    expect(await ws.read("n.txt")).toBe("n\n");
    const planChanged = (await events()).find((e) => e.type === "PLAN_CHANGED");
    expect(planChanged).toMatchObject({ actor: "bo", data: { plan: { version: 2 } } });
    // Only version 1 was approved by a human; the views say who changed it since.
    expect(ws.peh("show").stdout).toContain("plan version 2 · completed (approved: version 1; changed mid-run by bo)");
    expect(JSON.parse(ws.peh("show", "--json").stdout)).toMatchObject({ version: 2, approved_version: 1, changed_by: ["bo"] });
    expect(ws.peh("status").stdout).toContain("plan version 2 (approved: version 1; changed mid-run by bo)");
  });

  it("fixes a failed task in place while it waits for a decision: the retry runs the new definition", async () => {
    await ws.write("plan.yaml", plan);
    await ws.write("fixed.yaml", plan.replace(`\"echo 'usage: app.js FILE' >&2; exit 2\"`, "'echo fixed > a.txt'"));
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(3);
    const fix = ws.peh("modify", "--from", "fixed.yaml", "--confirm-change", "--as", "bo");
    expect(fix.code, fix.stderr).toBe(0);
    expect(state().tasks.a).toBe("awaiting_decision");
    expect(ws.peh("decide", "--task", "a", "retry", "--as", "bo").code).toBe(0);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(0);
    expect(await ws.read("a.txt")).toBe("fixed\n");
    expect(state()).toMatchObject({ state: "completed", tasks: { s: "succeeded", a: "succeeded", b: "succeeded" } });
    expect(await ws.read("s.txt")).toBe("s\n");
  });
});

describe("peh log --follow", () => {
  it("streams a live run's events as they are appended, and stops when the run ends", async () => {
    await ws.write(
      "plan.yaml",
      ["objective: Follow app.js", "tasks:", "  - { id: a, objective: Fail on app.js, scope: workspace, run: \"echo 'usage: app.js' >&2; exit 2\" }", "  - { id: b, objective: Write b.txt, scope: workspace, run: 'echo b > b.txt' }"].join("\n"),
    );
    ws.peh("plan", "--from", "plan.yaml");
    ws.peh("approve", "--as", "ana");
    const run = ws.start(["run", "--wait", "--trust-root", ".", "--concurrency", "1"]);
    await run.line(/waiting: task a failed/);
    const follow = ws.start(["log", "--follow"]);
    await follow.line(/RECOVERY_ESCALATION \[Task 1\/2\] a/);
    expect(ws.peh("decide", "--task", "a", "skip", "--as", "bo").code).toBe(0);
    expect(await follow.line(/DECISION_RECORDED \[Task 1\/2\] a · skip by bo/)).toContain("(#");
    expect(await follow.line(/EXECUTION_COMPLETE · completed/)).toContain("1 skipped");
    expect(await follow.exit).toBe(0);
    expect(await run.exit).toBe(0);
  });
});
