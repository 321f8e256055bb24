// --json from the binary, command by command: stdout is exactly one JSON document and nothing
// else (for `peh log`, JSON lines), when the command succeeds and when it is refused, also when
// the refusal comes after the command had something to say (`peh run --from` without approval).
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createOutput } from "../../cli/output.js";
import { buildProgram } from "../../cli/program.js";
import { peh } from "../support/cli.js";
import { workspace, type Workspace } from "../support/workspace.js";

const golden = fileURLToPath(new URL("../fixtures/golden/release.events.jsonl", import.meta.url));
const release = fileURLToPath(new URL("../../examples/release.yaml", import.meta.url));
const PHRASE = "deploy 2.4.1 to production";
const PLAN = ["plan", "--from", "release.yaml"];
const FAILING = "objective: Write a.txt\ntasks:\n  - { id: a, objective: Write a.txt, scope: workspace, run: 'echo usage: a FILE >&2; exit 2' }\n";

let ws: Workspace | undefined;
afterEach(async () => ws?.remove());

/** A workspace holding the recorded golden run, release.yaml and a plan whose task fails. */
async function prepared(): Promise<Workspace> {
  ws = await workspace();
  const text = await readFile(golden, "utf8");
  const runId = (JSON.parse(text.slice(0, text.indexOf("\n"))) as { run_id: string }).run_id;
  await mkdir(join(ws.path, ".peh", "runs", runId), { recursive: true });
  await writeFile(join(ws.path, ".peh", "runs", runId, "events.jsonl"), text);
  await copyFile(release, join(ws.path, "release.yaml"));
  await ws.write("failing.yaml", FAILING);
  return ws;
}

/** The one JSON document stdout holds; fails the test if it holds anything else. */
function document(stdout: string): Record<string, unknown> {
  expect(stdout.trim(), "stdout is empty").not.toBe("");
  return JSON.parse(stdout) as Record<string, unknown>;
}

type Case = [name: string, argv: string[], setup?: string[][]];

const succeeding: Case[] = [
  ["plan", PLAN],
  ["show", ["show"]],
  ["approve", ["approve", "--as", "ana", "--confirm", PHRASE], [PLAN]],
  ["modify", ["modify", "--skip", "lint", "--as", "ana"], [PLAN]],
  ["refine", ["refine", "--feedback", "skip lint", "--as", "ana"], [PLAN]],
  ["clarify", ["clarify", "--question", "which region?", "--as", "ana"], [PLAN]],
  ["reject", ["reject", "--reason", "not this week", "--as", "ana"], [PLAN]],
  ["run", ["run", "--from", "release.yaml", "--approve-as", "ana", "--confirm", PHRASE, "--trust-root", "."]],
  ["decide", ["decide", "--task", "a", "skip", "--as", "ana"], [["run", "--from", "failing.yaml", "--approve-as", "ana", "--trust-root", "."]]],
  ["trust", ["trust", "--task", "build", "--as", "ana"], [["run", "--from", "release.yaml", "--approve-as", "ana", "--confirm", PHRASE]]],
  ["status", ["status"]],
  ["runs", ["runs"]],
  ["replay", ["replay", "--at", "3"]],
  ["report", ["report"]],
  ["rerun", ["rerun"], [PLAN]],
  ["fork", ["fork", "--at", "45"]],
  ["graph", ["graph", "worker"]],
  ["inspect", ["inspect", "--record", "run.inspect.jsonl"]],
  ["output", ["output", "build"], [["run", "--from", "release.yaml", "--approve-as", "ana", "--confirm", PHRASE, "--trust-root", "."]]],
  ["cancel", ["cancel", "--as", "ana", "--reason", "moved to Monday"], [PLAN, ["approve", "--as", "ana", "--confirm", PHRASE]]],
  ["export", ["export", "--html", "--out", "run.html"]],
  ["worker", ["worker", "--until-idle", "--trust-root", "."], [PLAN, ["approve", "--as", "ana", "--confirm", PHRASE]]],
];

const refused: Case[] = [
  ["plan", ["plan", "--from", "missing.yaml"]],
  ["show", ["show", "r-nope"]],
  ["approve", ["approve", "r-nope", "--as", "ana"]],
  ["modify", ["modify", "r-nope", "--skip", "lint", "--as", "ana"]],
  ["refine", ["refine", "r-nope", "--feedback", "skip lint", "--as", "ana"]],
  ["clarify", ["clarify", "r-nope", "--question", "which region?", "--as", "ana"]],
  ["reject", ["reject", "r-nope", "--reason", "no", "--as", "ana"]],
  ["run", ["run", "r-nope"]],
  ["decide", ["decide", "r-nope", "--task", "a", "skip", "--as", "ana"]],
  ["trust", ["trust", "r-nope", "--task", "a", "--as", "ana"]],
  ["status", ["status", "r-nope"]],
  ["runs", ["runs", "--bogus"]],
  ["log", ["log", "r-nope"]],
  ["replay", ["replay", "--at", "1000"]],
  ["report", ["report", "r-nope"]],
  ["rerun", ["rerun", "r-nope"]],
  ["fork", ["fork", "--at", "0"]],
  ["graph", ["graph", "nope"]],
  ["inspect", ["inspect", "r-nope", "--record", "run.inspect.jsonl"]],
  ["serve", ["serve", "nope"]],
  ["output", ["output", "r-nope", "build"]],
  ["cancel", ["cancel", "r-nope", "--as", "ana"]],
  ["land", ["land", "r-nope", "--as", "ana"]],
  ["ui", ["ui", "--port", "nope", "--no-open"]],
  ["export", ["export", "--out", "run.html"]],
  ["worker", ["worker", "--run", "not a run!"]],
];

async function commandNames(): Promise<string[]> {
  const io = createOutput({ stdout: () => undefined, stderr: () => undefined }, { json: false, color: false });
  return (await buildProgram(io)).commands.map((command) => command.name()).sort();
}

describe("peh --json", () => {
  it("is tested here for every command, succeeding and refused", async () => {
    const names = await commandNames();
    // land succeeds only on an isolated run in a git repository: test/workspace/isolation.e2e.test.ts.
    expect([...new Set([...succeeding.map(([name]) => name), "log", "serve", "land", "ui"])].sort()).toEqual(names);
    expect([...new Set(refused.map(([name]) => name))].sort()).toEqual(names);
  });

  it.each(succeeding)("peh %s prints one JSON document and nothing else on stdout", async (_name, argv, setup = []) => {
    const w = await prepared();
    for (const step of setup) w.peh(...step);
    const result = w.peh(...argv, "--json");
    expect(result.code, result.stderr).toBe(0);
    expect(document(result.stdout)).not.toHaveProperty("error");
  });

  it.each(refused)("peh %s, refused, prints one JSON document with the error and nothing else", async (_name, argv) => {
    const w = await prepared();
    const result = w.peh(...argv, "--json");
    expect(result.code).toBeGreaterThan(0);
    const { error } = document(result.stdout) as { error: { code: string; message: string } };
    expect(error.code).toMatch(/^[A-Z_]+$/);
    expect(error.message).not.toBe("");
  });

  it("peh run --from, refused after planning, prints one document: the plan and the error", async () => {
    const w = await prepared();
    const result = w.peh("run", "--from", "release.yaml", "--json");
    expect(result.code).toBe(3);
    const json = document(result.stdout) as { run_id: string; plan: { tasks: unknown[] }; error: { code: string; hint: string } };
    expect(json.plan.tasks).toHaveLength(4);
    expect(json.error).toMatchObject({ code: "WAITING_FOR_HUMAN", hint: expect.stringContaining(`peh approve ${json.run_id}`) });
  });

  it("peh run, waiting for a human, prints one document: the outcome and the error", async () => {
    const w = await prepared();
    const result = w.peh("run", "--from", "failing.yaml", "--approve-as", "ana", "--trust-root", ".", "--json");
    expect(result.code).toBe(3);
    const json = document(result.stdout) as { outcome: { kind: string }; plan: unknown; error: { code: string } };
    expect(json.outcome.kind).toBe("waiting");
    expect(json.plan).toBeDefined();
    expect(json.error.code).toBe("WAITING_FOR_HUMAN");
  });

  it("peh log prints JSON lines, and a refusal as one more line", async () => {
    const w = await prepared();
    const lines = w.peh("log", "--json").stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty("seq");
    const refusal = w.peh("log", "r-nope", "--json");
    expect(refusal.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(refusal.stdout)).toMatchObject({ error: { code: "RUN_NOT_FOUND" } });
  });

  it("peh serve answers in JSON lines only", async () => {
    const w = await prepared();
    const request = '{"id":"1","method":"decompose","params":{"objective":"add dark mode"}}\n';
    const result = peh(["serve", "planning", "--json"], { cwd: w.path, env: w.env, input: request });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: "1", result: expect.any(Array) });
  });

  it("peh report --json is the report's data, with times in ISO-8601 UTC", async () => {
    const w = await prepared();
    const report = document(w.peh("report", "--json").stdout) as { outcome: string; ended_at: string; tasks: { id: string; outcome: string }[]; skipped_failures: unknown[] };
    expect(report.outcome).toBe("completed");
    expect(report.ended_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(report.tasks.map((task) => [task.id, task.outcome])).toContainEqual(["lint", "skipped"]);
    expect(report.skipped_failures).toEqual([{ task_id: "lint", class: "invalid_input", by: "human", actor: "ana" }]);
  });
});
