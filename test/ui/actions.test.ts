// The human actions of peh ui, through its server: each appends what the CLI's command appends
// (the same services), recorded with via: web, and a refusal reads exactly as the CLI's.
import { request as httpRequest } from "node:http";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { RunIdSchema, type PehEvent, type RunId } from "../../events/index.js";
import { startUiServer, type UiServer } from "../../runtime/ui/server.js";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
let store: LowdbEventStore;
let server: UiServer;
let runId: RunId;

function post(action: string, body: object): Promise<{ status: number; body: { message?: string; error?: { code: string; message: string; hint?: string } } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: server.port, path: `/api/runs/${runId}/${action}`, method: "POST", headers: { host: `127.0.0.1:${server.port}`, "content-type": "application/json", "x-peh-token": server.token } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

const lastEvents = async (n: number): Promise<PehEvent[]> => (await store.read(runId)).slice(-n);

async function open(plan: string): Promise<void> {
  await ws.write("plan.yaml", plan);
  expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
  runId = RunIdSchema.parse((await readdir(join(ws.path, ".peh", "runs")))[0]);
  store = new LowdbEventStore(join(ws.path, ".peh"));
  server = await startUiServer({ store, assets: { html: "", js: "", css: "" } });
}

const FLAKY = [
  "objective: Fetch then report",
  "recovery: { logic_error: { max_retries: 0 } }",
  "tasks:",
  `  - { id: fetch, objective: Fetch data, scope: workspace, run: "echo broken >&2; exit 1" }`,
  "  - { id: report, objective: Report, scope: workspace, depends_on: [fetch], run: 'true' }",
].join("\n");

beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => {
  await server?.close();
  await store?.close();
  await ws.remove();
});

describe("peh ui › actions", () => {
  it("skips a task as peh modify --skip does: a new version to approve, by the page's actor, via web", async () => {
    await open(FLAKY);
    const answer = await post("modify", { actor: "ana", skip: "report" });
    expect(answer).toMatchObject({ status: 200, body: { message: `made version 2 of ${runId}'s plan without report; it needs approval` } });
    const [modified] = await lastEvents(2);
    expect(modified).toMatchObject({ type: "GATE_MODIFIED", actor: "ana", via: "web" });
    expect(modified?.type === "GATE_MODIFIED" && modified.data.plan.tasks.map((t) => t.id)).toEqual(["fetch"]);
  });

  it("decides retry for a failed task, and refuses a decision for a task that waits for none in the CLI's words", async () => {
    await open(FLAKY);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(3);
    const cli = ws.peh("decide", "--task", "report", "retry", "--as", "ana");
    expect(cli.code).not.toBe(0);
    const refused = await post("decide", { actor: "ana", task: "report", decision: "retry" });
    expect(refused.status).toBe(422);
    expect(cli.stderr).toContain(refused.body.error!.message);
    expect(cli.stderr).toContain(refused.body.error!.hint!);
    const before = await store.version(runId);
    const answer = await post("decide", { actor: "bo", task: "fetch", decision: "retry" });
    expect(answer).toMatchObject({ status: 200, body: { message: `retry for fetch in ${runId}, decided by bo` } });
    expect((await store.read(runId, { from: before + 1 }))[0]).toMatchObject({ type: "DECISION_RECORDED", actor: "bo", via: "web", data: { task_id: "fetch", decision: "retry" } });
    // peh log says where the human acted.
    expect(ws.peh("log").stdout).toMatch(/DECISION_RECORDED .*by bo via web/);
    expect(ws.peh("log", "--json").stdout).toContain('"actor":"bo","via":"web"');
  });

  it("trusts a waiting worker as peh trust --task does", async () => {
    await open(["objective: One task", "tasks:", "  - { id: only, objective: Only, scope: workspace, run: 'true' }"].join("\n"));
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    expect(ws.peh("run").code).toBe(3);
    const before = await store.version(runId);
    const answer = await post("trust", { actor: "ana", task: "only" });
    expect(answer).toMatchObject({ status: 200, body: { message: "trusted only#1 (by ana)" } });
    expect((await store.read(runId, { from: before + 1 })).find((event) => event.type === "WORKER_TRUST_RESOLVED")).toMatchObject({ type: "WORKER_TRUST_RESOLVED", actor: "ana", via: "web", data: { resolution: { source: "manual", by: "ana" } } });
    const again = await post("trust", { actor: "ana", task: "only" });
    expect(again.body.error).toEqual({ code: "USAGE", message: "task only has no worker waiting for trust", hint: "workers waiting: none" });
  });

  it("asks a question and answers it as peh clarify does, by the page's actor, via web", async () => {
    await open(FLAKY);
    const asked = await post("question", { actor: "bo", question: "which region?" });
    expect(asked).toMatchObject({ status: 200, body: { message: `asked on ${runId}: which region?` } });
    expect((await lastEvents(1))[0]).toMatchObject({ type: "GATE_CLARIFICATION_REQUESTED", actor: "bo", via: "web", data: { question: "which region?" } });
    expect(JSON.parse(ws.peh("status", "--json").stdout).awaited).toMatchObject([{ kind: "clarification" }]);
    const answered = await post("answer", { actor: "ana", answer: "eu-west-1" });
    expect(answered).toMatchObject({ status: 200, body: { message: `answered on ${runId}; the plan awaits approval` } });
    expect((await lastEvents(1))[0]).toMatchObject({ type: "GATE_APPROVAL_REQUESTED", actor: "ana", via: "web", data: { note: "eu-west-1" } });
  });

  it("refuses an answer with no open question, and an empty one, in the CLI's words, appending nothing", async () => {
    await open(FLAKY);
    const before = await store.version(runId);
    const cli = ws.peh("clarify", "--answer", "eu-west-1", "--as", "ana");
    expect(cli.code).not.toBe(0);
    const refused = await post("answer", { actor: "ana", answer: "eu-west-1" });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: "ILLEGAL_TRANSITION", message: expect.stringContaining("`peh clarify --answer` refused: the plan has no open question") });
    expect(cli.stderr).toContain(refused.body.error!.message);
    expect(cli.stderr).toContain(refused.body.error!.hint!);
    expect(ws.peh("clarify", "--question", "which region?", "--as", "bo").code).toBe(0);
    const empty = ws.peh("clarify", "--answer", "", "--as", "ana");
    expect(empty.code).not.toBe(0);
    const blank = await post("answer", { actor: "ana", answer: "" });
    expect(blank.status).toBeGreaterThanOrEqual(400);
    expect(empty.stderr).toContain(blank.body.error!.message);
    expect(await store.version(runId)).toBe(before + 1);
  });

  it("rejects as peh reject does, recorded via web", async () => {
    await open(FLAKY);
    const answer = await post("reject", { actor: "ana", reason: "not this week" });
    expect(answer).toMatchObject({ status: 200, body: { message: `rejected ${runId}'s plan as ana: not this week` } });
    expect((await lastEvents(1))[0]).toMatchObject({ type: "GATE_REJECTED", actor: "ana", via: "web", data: { reason: "not this week" } });
  });

  it("refuses a malformed body and an unknown run, appending nothing", async () => {
    await open(FLAKY);
    const before = await store.version(runId);
    expect((await post("decide", { actor: "ana", task: "fetch", decision: "maybe" })).body.error?.code).toBe("USAGE");
    expect((await post("approve", { actor: "ana", version: 1, extra: true })).body.error?.code).toBe("USAGE");
    expect(await store.version(runId)).toBe(before);
    runId = "r-20990101-000000-0000" as RunId;
    expect((await post("approve", { actor: "ana", version: 1 })).status).toBe(404);
  });
});
