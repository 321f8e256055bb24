// The page of `peh ui` in real Chromium, as a user goes through it: open the printed URL, see the
// plan, approve a risky plan (a wrong phrase refused), watch the run advance live, answer a
// failure with retry, scrub back in time, and open the exported file offline.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";
import { hasBrowser, launch, NO_BROWSER, startUi } from "./browser.js";

const release = fileURLToPath(new URL("../../examples/release.yaml", import.meta.url));
const PHRASE = "deploy 2.4.1 to production";
const TASKS = ["build", "unit-tests", "lint", "deploy-prod"];

let browser: Browser;
let ws: Workspace;
let ui: { url: string; stop(): Promise<void> } | undefined;
let page: Page;

const nodeStates = (p: Page) => p.$$eval("svg.dag .node", (nodes) => Object.fromEntries(nodes.map((node) => [node.getAttribute("data-task"), node.getAttribute("data-state")])));
const planState = (p: Page) => p.textContent("#plan-state");

describe.skipIf(!hasBrowser)(`peh ui in Chromium${hasBrowser ? "" : ` (skipped: ${NO_BROWSER})`}`, () => {
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => browser?.close());
  beforeEach(async () => {
    ws = await workspace();
    await ws.write("release.yaml", await readFile(release, "utf8"));
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    // The page fetches nothing from anywhere but its own server.
    await page.route(/^(?!http:\/\/127\.0\.0\.1:|file:)/, (route) => route.abort());
  });
  afterEach(async () => {
    await page.close();
    await ui?.stop();
    ui = undefined;
    await ws.remove();
  });

  async function openRun(): Promise<void> {
    ui = await startUi(ws);
    await page.goto(ui.url);
    await page.click("#runs a");
    await page.waitForSelector("svg.dag .node");
    await page.fill("#actor", "ana");
    await page.dispatchEvent("#actor", "change");
  }

  it("opens the printed URL, lists the run, and draws every task of the plan before anything runs", async () => {
    expect(ws.peh("plan", "--from", "release.yaml").code).toBe(0);
    ui = await startUi(ws);
    await page.goto(ui.url);
    await page.waitForSelector("#runs a");
    expect(await page.textContent("#runs")).toContain("awaiting_approval");
    await page.click("#runs a");
    await page.waitForSelector("svg.dag .node");
    expect(await nodeStates(page)).toEqual(Object.fromEntries(TASKS.map((task) => [task, "pending"])));
    await page.click('svg.dag .node[data-task="deploy-prod"]');
    await page.waitForSelector("#task-title >> text=deploy-prod");
    expect(await page.textContent("#details")).toContain(`phrase “${PHRASE}”`);
  });

  it("refuses an approval with a wrong phrase, as the CLI words it; the right phrase passes; the run then advances live", async () => {
    expect(ws.peh("plan", "--from", "release.yaml").code).toBe(0);
    await openRun();
    await page.fill("#phrase-deploy-prod", "yes");
    await page.click("#approve");
    await page.waitForSelector("#action-result.refused");
    const refusal = await page.textContent("#action-result");
    expect(refusal).toContain("CONFIRMATION_MISSING");
    expect(refusal).toContain(`--confirm "${PHRASE}"`);
    expect(await planState(page)).toBe("awaiting_approval");

    await page.fill("#phrase-deploy-prod", PHRASE);
    await page.click("#approve");
    await page.waitForSelector("#action-result.ok");
    await page.waitForSelector("#plan-state >> text=approved");
    const log = await readFile(join(ws.path, ".peh", "runs", (await page.getAttribute("main", "data-run"))!, "events.jsonl"), "utf8");
    expect(log).toMatch(/"type":"GATE_APPROVED"/);
    expect(JSON.parse(log.trim().split("\n").at(-1)!)).toMatchObject({ type: "GATE_APPROVED", actor: "ana", via: "web" });

    // A `peh run` elsewhere: the page follows it without a reload.
    expect(ws.peh("run", "--trust-root", ".").code).toBe(0);
    await page.waitForSelector("#plan-state >> text=completed");
    expect(await nodeStates(page)).toEqual(Object.fromEntries(TASKS.map((task) => [task, "succeeded"])));
    expect(await page.$$eval("svg.timeline rect.bar", (bars) => bars.length)).toBe(4);
  });

  it("opens a run's link directly: its events are asked for once, from <head>, while the app loads", async () => {
    expect(ws.peh("plan", "--from", "release.yaml").code).toBe(0);
    ui = await startUi(ws);
    const runId = JSON.parse(ws.peh("status", "--json").stdout).run_id as string;
    const asked: string[] = [];
    let eventsAsked!: () => void;
    const eventsAskedFirst = new Promise<void>((resolve) => (eventsAsked = resolve));
    page.on("request", (request) => {
      if (!request.url().includes("/events")) return;
      asked.push(request.url());
      eventsAsked();
    });
    // app.js is held back until the events are asked for: only the page's <head> can ask first.
    await page.route(/\/app\.js$/, async (route) => {
      await eventsAskedFirst;
      await route.continue();
    });
    await page.goto(`${ui.url}#/runs/${runId}`);
    await page.waitForSelector("#connection >> text=live");
    expect(await nodeStates(page)).toEqual(Object.fromEntries(TASKS.map((task) => [task, "pending"])));
    expect(asked).toEqual([`${new URL(ui.url).origin}/api/runs/${runId}/events`]);
  });

  it("lists the runs live: a new run appears and a run's state changes without a reload", async () => {
    expect(ws.peh("plan", "--from", "release.yaml").code).toBe(0);
    ui = await startUi(ws);
    await page.goto(ui.url);
    await page.waitForSelector("#runs-connection >> text=live");
    expect(await page.$$eval("#runs tr[data-run]", (rows) => rows.length)).toBe(1);
    const first = (await page.getAttribute("#runs tr[data-run]", "data-run"))!;
    expect(ws.peh("plan", "--from", "release.yaml").code).toBe(0);
    await page.waitForSelector("#runs tr[data-run]:nth-of-type(3)");
    // Newest first.
    expect(await page.getAttribute("#runs tr[data-run]", "data-run")).not.toBe(first);
    expect(ws.peh("approve", first, "--version", "1", "--as", "ana", "--confirm", PHRASE).code).toBe(0);
    await page.waitForSelector(`#runs tr[data-run="${first}"] .badge >> text=approved`);
  });

  it("answers the plan's open question from the page; an empty answer is refused as peh clarify refuses it", async () => {
    expect(ws.peh("plan", "--from", "release.yaml").code).toBe(0);
    await openRun();
    await page.fill("#question-text", "which region?");
    await page.click("#ask");
    await page.waitForSelector("#plan-state >> text=clarification_requested");
    expect(await page.textContent("#question")).toContain("which region? — ana");
    const runId = (await page.getAttribute("main", "data-run"))!;
    await page.click("#answer");
    await page.waitForSelector("#action-result.refused");
    const refusal = (await page.textContent("#action-result .message"))!.replace(/^[A-Z_]+: /, "");
    const cli = ws.peh("clarify", "--answer", "", "--as", "ana");
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain(refusal);
    await page.fill("#answer-text", "eu-west-1");
    await page.click("#answer");
    await page.waitForSelector("#action-result.ok");
    expect(await page.textContent("#action-result")).toContain(`answered on ${runId}; the plan awaits approval`);
    await page.waitForSelector("#plan-state >> text=awaiting_approval");
    await page.waitForSelector("#approve");
    const log = (await readFile(join(ws.path, ".peh", "runs", runId, "events.jsonl"), "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { type: string; actor: string; via?: string });
    expect(log.slice(-2)).toMatchObject([
      { type: "GATE_CLARIFICATION_REQUESTED", actor: "ana", via: "web" },
      { type: "GATE_APPROVAL_REQUESTED", actor: "ana", via: "web" },
    ]);
  });

  it("answers a failed task with retry from the page, and the waiting peh run carries on", async () => {
    await ws.write(
      "flaky.yaml",
      [
        "objective: Fetch then report",
        "recovery: { logic_error: { max_retries: 0 } }",
        "tasks:",
        `  - { id: fetch, objective: Fetch data, scope: workspace, run: "test -f second || { touch second; echo broken >&2; exit 1; }" }`,
        "  - { id: report, objective: Report, scope: workspace, depends_on: [fetch], run: 'true' }",
      ].join("\n"),
    );
    expect(ws.peh("plan", "--from", "flaky.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    const run = ws.start(["run", "--wait", "--trust-root", "."]);
    await openRun();
    await page.waitForSelector('[data-decide="fetch:retry"]');
    expect(await page.textContent("#actions")).toContain("task fetch failed and waits for a decision");
    await page.click('[data-decide="fetch:retry"]');
    await page.waitForSelector("#action-result.ok");
    expect(await page.textContent("#action-result")).toContain("retry for fetch");
    await page.waitForSelector("#plan-state >> text=completed");
    expect(await run.exit).toBe(0);
    await page.click('svg.dag .node[data-task="fetch"]');
    expect(await page.$$eval("#details table.attempts tr[data-attempt]", (rows) => rows.map((row) => row.className))).toEqual(["out-failed", "out-succeeded"]);
  });

  it("shows at seq N the state `peh replay --at N --json` gives, and follows a permalink to it", async () => {
    expect(ws.peh("run", "--from", "release.yaml", "--approve-as", "ana", "--confirm", PHRASE, "--trust-root", ".").code).toBe(0);
    await openRun();
    await page.waitForSelector("#plan-state >> text=completed");
    // Seqs at which a task's state changes, so the state at N-1 or N+1 would not pass for it.
    const runId = (await page.getAttribute("main", "data-run"))!;
    const log = (await readFile(join(ws.path, ".peh", "runs", runId, "events.jsonl"), "utf8")).trim().split("\n").map((line) => JSON.parse(line) as { seq: number; type: string; data: { task_id?: string } });
    const at = (type: string, task: string) => log.find((event) => event.type === type && event.data.task_id === task)!.seq;
    for (const seq of [at("TASK_COMPLETED", "build"), at("TASK_STARTED", "deploy-prod"), at("TASK_COMPLETED", "deploy-prod") - 1]) {
      const replay = JSON.parse(ws.peh("replay", "--at", String(seq), "--json").stdout) as { plan: { state: string }; tasks: { id: string; state: string }[] };
      await page.fill("#slider", String(seq));
      await page.waitForSelector(`#slider-label >> text=the state right after #${seq} `);
      expect(await planState(page)).toBe(replay.plan.state);
      expect(await nodeStates(page)).toEqual(Object.fromEntries(replay.tasks.map((task) => [task.id, task.state])));
      // The log follows the slider: the event the page is at is drawn and marked.
      expect(await page.textContent(".log-row.current")).toContain(`#${seq}`);
    }
    // A seq's permalink in the log puts the page there.
    await page.click("#live");
    // The log followed the slider; back at its top, event #3 is in view.
    await page.$eval("#log", (log) => log.scrollTo(0, 0));
    await page.click('.log-row[data-seq="3"] a.seq');
    await page.waitForSelector("#slider-label >> text=the state right after #3 ");
    expect(await page.textContent(".log-row.current")).toContain("#3");
  });

  it("exports a run as one file that opens offline from file: and shows the run", async () => {
    expect(ws.peh("run", "--from", "release.yaml", "--approve-as", "ana", "--confirm", PHRASE, "--trust-root", ".").code).toBe(0);
    const out = join(ws.path, "run.html");
    expect(ws.peh("export", "--html", "--out", out).code).toBe(0);
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(`file://${out}`);
    await page.waitForSelector("svg.dag .node");
    expect(await planState(page)).toBe("completed");
    expect(await nodeStates(page)).toEqual(Object.fromEntries(TASKS.map((task) => [task, "succeeded"])));
    expect(await page.textContent("#connection")).toContain("read-only");
    expect(requests).toEqual([`file://${out}`]);
  });
});
