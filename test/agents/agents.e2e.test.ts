// Agent CLIs through a real `peh run`, each replayed by test/fixtures/agents/fake-agent.mjs in
// its CLI's documented stream format: the events recorded, the class, what the log shows.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sandboxOff } from "../support/sandbox.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

const fake = fileURLToPath(new URL("../fixtures/agents/fake-agent.mjs", import.meta.url));
const SECRET = "tok-9f8e7d6c5b4a39281706";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
  // The fake agent CLIs read their scenario files from outside the task's scope: no sandbox.
  await sandboxOff(ws);
  ws.env.FAKE_AGENT_SECRET = SECRET;
  ws.env.FAKE_AGENT_PROMPT = `${ws.path}/../prompt.txt`;
  ws.env.FAKE_AGENT_ARGS = `${ws.path}/../args.json`;
});
afterEach(async () => ws.remove());

type Event = { type: string; at: string; data: Record<string, any>; to?: string };
const runId = () => JSON.parse(ws.peh("show", "--json").stdout).run_id as string;
const events = async (): Promise<Event[]> => (await ws.read(`.peh/runs/${runId()}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as Event);
/** The task's events from its first start, types only, the worker's left out. */
const taskSequence = (log: Event[]) => log.filter((e) => /^(TASK_(STARTED|VERIFYING|COMPLETED|FAILED)|FAILURE_CLASSIFIED|RECOVERY_\w+|PERMISSION_REQUIRED)$/.test(e.type)).map((e) => e.type);

async function run(cli: string, scenario: string, extra = "") {
  await ws.write("plan.yaml", `objective: Write notes.md\ntasks:\n  - { id: notes, objective: Write notes.md, scope: workspace, agent: { cli: ${cli}, prompt: 'Summarize the release in notes.md' }, acceptance_tests: ['test -s notes.md']${extra} }\n`);
  return ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--agent-command", `node ${fake} ${cli} ${scenario}`);
}

const everything = async () => `${await ws.read(`.peh/runs/${runId()}/events.jsonl`)}\n${ws.peh("output", "notes").stdout}\n${ws.peh("status").stdout}\n${ws.peh("log").stdout}`;

describe.each(["claude", "codex", "gemini", "opencode"])("peh run › %s", (cli) => {
  it("success: the usage, the tool calls and the file changes are recorded, the final result redacted", async () => {
    const result = await run(cli, "success");
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_VERIFYING", "TASK_COMPLETED"]);
    const agent = log.find((e) => e.type === "TASK_VERIFYING")!.data.agent;
    expect(agent.cli).toBe(cli);
    expect(agent.result.is_error).toBe(false);
    expect(agent.result.text).toContain("Wrote notes.md");
    expect(agent.usage.input_tokens + agent.usage.output_tokens).toBeGreaterThan(0);
    expect(agent.tool_calls).toBeGreaterThan(0);
    expect(agent.files_changed).toEqual(["notes.md"]);
    const output = ws.peh("output", "notes").stdout;
    expect(output).toContain(`[${cli}] file `);
    expect(output).toMatch(new RegExp(`\\[${cli}\\] result: ok`));
    // The prompt went to stdin, not into the attempt's output; the secret the agent echoed (in a
    // tool call and its final text) is nowhere: not in the events, the output, status or log.
    expect(readFileSync(ws.env.FAKE_AGENT_PROMPT!, "utf8")).toContain("Summarize the release in notes.md");
    expect(output).not.toContain("Summarize the release");
    // status, log and the report show what the task and the run cost.
    const spend = new RegExp(`${agent.usage.input_tokens.toLocaleString("en-US")} in · ${agent.usage.output_tokens.toLocaleString("en-US")} out · ${agent.usage.cached_tokens.toLocaleString("en-US")} cached tokens · ${agent.usage.cost_usd === null ? "cost not reported" : `\\$${agent.usage.cost_usd.toFixed(4)}`}`);
    const status = ws.peh("status").stdout;
    expect(status).toMatch(new RegExp(`Agents: ${spend.source}`));
    expect(status).toMatch(new RegExp(`notes\\s+${cli}\\s+${spend.source}`));
    expect(ws.peh("log").stdout).toMatch(new RegExp(`acceptance tests \\(${cli}: final result: ok · ${spend.source}`));
    expect(ws.peh("report").stdout).toMatch(new RegExp(`## Agents[\\s\\S]*\\*\\*notes\\*\\* \\(${cli}, 1 attempt\\): ${spend.source}`));
    const all = await everything();
    expect(all).toContain("[redacted:FAKE_AGENT_SECRET]");
    expect(all).not.toContain(SECRET);
  });

  it("authentication failure: permission, no retry", async () => {
    const result = await run(cli, "auth");
    expect(result.code).toBe(3);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "PERMISSION_REQUIRED"]);
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data).toMatchObject({ class: "permission", rule: `${cli}: authentication failed` });
    expect(log.find((e) => e.type === "TASK_FAILED")!.data.agent.stop.kind).toBe("auth");
  });

  it("a crash with no final result: unknown, escalated", async () => {
    const result = await run(cli, "crash");
    expect(result.code).toBe(3);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION"]);
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data).toMatchObject({ class: "unknown", rule: `${cli}: no final result` });
  });
});

describe("peh plan › a dollar budget on CLIs that report no cost", () => {
  it("warns that only budget.turns applies to codex and gemini tasks, naming each; none for claude", async () => {
    await ws.write(
      "plan.yaml",
      "objective: Write notes\nbudget: { usd: 2 }\ntasks:\n" +
        "  - { id: a, objective: Write a.md, scope: workspace, agent: { cli: codex }, budget: { usd: 1 }, acceptance_tests: ['true'] }\n" +
        "  - { id: b, objective: Write b.md, scope: workspace, agent: { cli: gemini }, acceptance_tests: ['true'] }\n" +
        "  - { id: c, objective: Write c.md, scope: workspace, agent: { cli: claude }, budget: { usd: 1 }, acceptance_tests: ['true'] }\n",
    );
    const planned = ws.peh("plan", "--from", "plan.yaml");
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain("budget.usd cannot be kept for agent CLIs that report no cost (codex, gemini, generic): only budget.turns applies to them.");
    expect(planned.stdout).toContain("Tasks whose own budget.usd is ignored: a (codex).");
    expect(planned.stdout).toContain("The run's budget.usd counts nothing these tasks spend: b (gemini).");
    expect(planned.stdout).not.toMatch(/c \(claude\)/);
  });
});

describe("peh run › what the real CLIs printed, replayed", () => {
  const recorded = (name: string) => fileURLToPath(new URL(`../fixtures/agents/recorded/${name}.json`, import.meta.url));

  it("gemini 0.61.0 without credentials (stderr only, exit 41): permission, no retry", async () => {
    const result = await run("gemini", `replay:${recorded("gemini-unauthenticated")}`);
    expect(result.code).toBe(3);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "PERMISSION_REQUIRED"]);
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data).toMatchObject({ class: "permission", rule: "gemini: authentication failed" });
  });

  it("codex 0.171.0 offline, waiting for the network for ever: stopped at once, transient", async () => {
    const result = await run("codex", `replay:${recorded("codex-offline")}`, ", recovery: { transient: { max_retries: 0 } }");
    expect(result.code).toBe(3);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION"]);
    expect(log.find((e) => e.type === "TASK_FAILED")!.data.agent.stop).toMatchObject({ kind: "network", detail: expect.stringContaining("waiting for network") });
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data).toMatchObject({ class: "transient", rule: "codex: network retries" });
  });
});

describe("peh run › rate limits, retries, limits", () => {
  it.each(["claude", "codex"])("%s: a rate limit waits until the reset the stream gives, then the retry succeeds", async (cli) => {
    const result = await run(cli, "rate_limit");
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ATTEMPTED", "TASK_STARTED", "TASK_VERIFYING", "RECOVERY_SUCCEEDED", "TASK_COMPLETED"]);
    const failed = log.find((e) => e.type === "TASK_FAILED")!.data;
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data.class).toBe("transient");
    const reset = failed.agent.stop.reset_at as string | undefined;
    // Claude gives the reset as a time; Codex as seconds from now: either way the retry is due at
    // it, or at once when the reset has passed by the time the recovery is decided.
    const attempted = log.find((e) => e.type === "RECOVERY_ATTEMPTED")!;
    expect(reset).toBeDefined();
    if (cli === "claude") expect(attempted.data.due_at).toBe(new Date(Math.max(Date.parse(reset!), Date.parse(attempted.at))).toISOString());
  });

  it.each(["claude", "codex"])("%s: rate limited twice under a policy of 1 transient retry: the rate limit is counted once, the third attempt succeeds", async (cli) => {
    const result = await run(cli, "rate_limit_twice", ", recovery: { transient: { max_retries: 1, delays: [0s] } }");
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const log = await events();
    expect(taskSequence(log)).toEqual([
      "TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ATTEMPTED",
      "TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ATTEMPTED",
      "TASK_STARTED", "TASK_VERIFYING", "RECOVERY_SUCCEEDED", "TASK_COMPLETED",
    ]);
    const classified = log.filter((e) => e.type === "FAILURE_CLASSIFIED").map((e) => e.data);
    expect(classified.map((c) => c.class)).toEqual(["transient", "transient"]);
    // Both recorded as rate limits, each with the reset its stream gave; each retry due then.
    const failed = log.filter((e) => e.type === "TASK_FAILED").map((e) => e.data.agent.stop);
    expect(classified.map((c) => c.rate_limit?.reset_at)).toEqual(failed.map((stop) => stop.reset_at));
    expect(classified.every((c) => typeof c.rate_limit?.reset_at === "string")).toBe(true);
    expect(log.filter((e) => e.type === "RECOVERY_ATTEMPTED").map((e) => e.data.due_at)).toEqual(classified.map((c) => c.rate_limit.reset_at));
    expect(result.stderr + result.stdout).toContain("counted once against the transient budget");
  });

  it("a network failure after the one transient retry is spent still escalates: only rate limits are counted once", async () => {
    const result = await run("claude", "rate_limit_twice", ", recovery: { transient: { max_retries: 0 } }");
    expect(result.code).toBe(3);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION"]);
    expect(log.find((e) => e.type === "RECOVERY_ESCALATION")!.data.reason).toContain("0 of 0 automatic retries used");
  });

  it.each(["claude", "codex", "gemini"])("%s: the CLI's own network retries, then success: completed, the retries shown", async (cli) => {
    const result = await run(cli, "network");
    expect(result.code, result.stderr + result.stdout).toBe(0);
    expect(taskSequence(await events())).toEqual(["TASK_STARTED", "TASK_VERIFYING", "TASK_COMPLETED"]);
    expect(ws.peh("output", "notes").stdout).toContain(`[${cli}] retrying:`);
  });

  it.each(["claude", "gemini"])("%s: a turn limit is budget_exceeded, escalated to a human", async (cli) => {
    const result = await run(cli, "max_turns", ", budget: { turns: 2 }");
    expect(result.code).toBe(3);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION"]);
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data.class).toBe("budget_exceeded");
    if (cli === "claude") expect(JSON.parse(readFileSync(ws.env.FAKE_AGENT_ARGS!, "utf8"))).toEqual(["-p", "--output-format", "stream-json", "--verbose", "--max-turns", "2"]);
  });

  it("a budget the CLI has no flag for is enforced by peh: the process group is stopped once the cost passes it", async () => {
    const result = await run("opencode", "spend", ", budget: { usd: 0.6 }");
    expect(result.code).toBe(3);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION"]);
    const failed = log.find((e) => e.type === "TASK_FAILED")!.data;
    expect(failed.agent.stop).toMatchObject({ kind: "limit" });
    expect(failed.agent.usage.cost_usd).toBeGreaterThan(0.6);
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data.class).toBe("budget_exceeded");
  });

  it("the run's budget bounds its attempts: an attempt is stopped once the run's agents have spent it", async () => {
    await ws.write("plan.yaml", `objective: Write notes.md\nbudget: { usd: 0.6 }\ntasks:\n  - { id: notes, objective: Write notes.md, scope: workspace, agent: { cli: opencode }, acceptance_tests: ['test -s notes.md'] }\n`);
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--agent-command", `node ${fake} opencode spend`);
    expect(result.code).toBe(3);
    const log = await events();
    expect(log.find((e) => e.type === "TASK_FAILED")!.data.agent.stop).toMatchObject({ kind: "limit", detail: expect.stringContaining("$0.6") });
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data.class).toBe("budget_exceeded");
  });

  it("a spent run budget stops the next attempt from starting: RUN_BUDGET_SPENT, shown in status, log and report; raised, a human's retry runs it", async () => {
    const planWith = (turns: number) =>
      `objective: Write notes\nbudget: { turns: ${turns} }\ntasks:\n` +
      "  - { id: notes, objective: Write notes.md, scope: workspace, agent: { cli: claude }, acceptance_tests: ['test -s notes.md'] }\n" +
      "  - { id: more, objective: Write more notes, scope: workspace, depends_on: [notes], agent: { cli: claude }, acceptance_tests: ['test -s notes.md'] }\n";
    await ws.write("plan.yaml", planWith(3));
    const command = ["--agent-command", `node ${fake} claude success`];
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", ...command);
    expect(result.code, result.stderr + result.stdout).toBe(3);
    expect(result.stdout + result.stderr).toContain("not started: the run's budget is spent (3 of 3 turns)");
    let log = await events();
    // The first task's agent took 3 turns: the second never started.
    expect(log.filter((e) => e.type === "TASK_STARTED").map((e) => e.data.task_id)).toEqual(["notes"]);
    const stop = log.find((e) => e.type === "RUN_BUDGET_SPENT")!;
    expect(stop.data).toEqual({ task_id: "more", next_attempt: 1, budget: { turns: 3 }, spent: { usd: 0.0421, turns: 3 } });
    expect(stop.to).toBe("awaiting_decision");
    const status = ws.peh("status");
    expect(status.stdout).toMatch(/more\s.*not started: the run's budget is spent, awaiting decision/);
    expect(status.stdout).toContain("the run's budget is spent (3 of 3 turns): task more's attempt 1 was not started");
    expect(status.stdout).toContain("--confirm-change");
    expect(ws.peh("log").stdout).toContain("RUN_BUDGET_SPENT");
    expect(ws.peh("report").stdout).toContain("not started: the run's budget is spent (3 of 3 turns); attempt 1 waits for a human");
    // A resumed run does not start it either.
    expect(ws.peh("run", "--trust-root", ".", ...command).code).toBe(3);
    expect((await events()).filter((e) => e.type === "TASK_STARTED")).toHaveLength(1);
    // The budget raised mid-run, then a human's retry: the attempt runs.
    await ws.write("plan2.yaml", planWith(10));
    const modified = ws.peh("modify", "--from", "plan2.yaml", "--confirm-change", "--as", "ana");
    expect(modified.code, modified.stderr).toBe(0);
    expect(ws.peh("decide", "--task", "more", "retry", "--as", "ana").code).toBe(0);
    const resumed = ws.peh("run", "--trust-root", ".", ...command);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    log = await events();
    expect(log.filter((e) => e.type === "TASK_COMPLETED").map((e) => e.data.task_id)).toEqual(["notes", "more"]);
  });

  it("a hang: idle_timeout kills the agent's whole process group and the attempt is classified", async () => {
    const result = await run("claude", "hang", ", idle_timeout: 2s, recovery: { transient: { max_retries: 0 } }");
    expect(result.code).toBe(3);
    const log = await events();
    expect(taskSequence(log)).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION"]);
    expect(log.find((e) => e.type === "TASK_FAILED")!.data.agent.stop.kind).toBe("idle");
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")!.data).toMatchObject({ class: "transient", rule: "idle timeout" });
    const child = Number(await ws.read("child.pid"));
    expect(child).toBeGreaterThan(0);
    expect(alive(child)).toBe(false);
  });
});

/** Whether a process runs (a zombie, killed and not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
