// Recovery end to end: fixture commands that fail in each class (and fail N times, then pass)
// drive real runs; the exact event sequences and attempt counts are asserted.
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.remove());

type Event = { type: string; seq: number; at: string; data: Record<string, unknown> };
async function runDir(): Promise<string> {
  const [runId] = await readdir(join(ws.path, ".peh", "runs"));
  return `.peh/runs/${runId}`;
}
const events = async (): Promise<Event[]> => (await ws.read(`${await runDir()}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as Event);
/** The recovery-relevant events of the run, in order. */
const recoveryTrail = async () =>
  (await events())
    .map((e) => e.type)
    .filter((t) => ["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ATTEMPTED", "RECOVERY_SUCCEEDED", "RECOVERY_ESCALATION", "PERMISSION_REQUIRED", "TASK_COMPLETED"].includes(t));

/** A task that fails with `message` on its first `times` attempts, then passes; counts in tries.txt. */
const flaky = (times: number, message: string) =>
  `n=$(cat tries.txt 2>/dev/null || echo 0); n=$((n+1)); echo $n > tries.txt; if [ $n -le ${times} ]; then echo '${message}' >&2; exit 1; fi`;

const planWith = (run: string, extra = "") =>
  ["objective: Fetch data.json", extra, "tasks:", `  - { id: fetch, objective: Fetch data.json, scope: workspace, run: "${run}" }`].filter(Boolean).join("\n");

const fast = "recovery: { transient: { delays: [10ms] }, logic_error: { delays: [10ms] } }";

describe("recovery › end to end", () => {
  it("transient: retries with the configured waits and succeeds on the third attempt", async () => {
    await ws.write("plan.yaml", planWith(flaky(2, "ECONNRESET while fetching"), fast));
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code, result.stderr).toBe(0);
    expect(await recoveryTrail()).toEqual([
      "TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ATTEMPTED",
      "TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ATTEMPTED",
      "TASK_STARTED", "RECOVERY_SUCCEEDED", "TASK_COMPLETED",
    ]);
    expect((await ws.read("tries.txt")).trim()).toBe("3");
    expect(result.stdout).toMatch(/\[Task 1\/1 RETRY\] ✓ fetch: \d+\.\ds/);
    expect(result.stdout).toContain("fetch: transient failure, automatic retry 1 of 2");
    const classified = (await events()).find((e) => e.type === "FAILURE_CLASSIFIED");
    expect(classified?.data).toMatchObject({ class: "transient", rule: "network or rate limit", evidence: "ECONNRESET while fetching" });
  });

  it("transient, exhausted: two retries, then a human decides (exit 3)", async () => {
    await ws.write("plan.yaml", planWith(flaky(9, "HTTP 503 Service Unavailable"), fast));
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code).toBe(3);
    expect((await recoveryTrail()).filter((t) => t === "TASK_STARTED")).toHaveLength(3);
    expect((await recoveryTrail()).at(-1)).toBe("RECOVERY_ESCALATION");
    const escalation = (await events()).find((e) => e.type === "RECOVERY_ESCALATION");
    expect(escalation?.data.reason).toMatch(/transient: 2 of 2 automatic retries used, none left/);
    expect(result.stderr).toMatch(/peh decide r-\S+ --task fetch retry\|skip\|abort/);
  });

  it("a task that is not idempotent is never re-run on its own: one charge, then a human decides, told why", async () => {
    const charge = "echo charged >> charges; echo 'HTTP 503 Service Unavailable' >&2; exit 1";
    await ws.write("plan.yaml", ["objective: Charge the card in charges", fast, "tasks:", `  - { id: fetch, objective: Charge the card in charges, scope: workspace, idempotent: false, run: "${charge}" }`].join("\n"));
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code).toBe(3);
    expect((await ws.read("charges")).trim().split("\n")).toEqual(["charged"]);
    expect(await recoveryTrail()).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION"]);
    const escalation = (await events()).find((e) => e.type === "RECOVERY_ESCALATION");
    expect(escalation?.data).toMatchObject({ class: "transient", reason: expect.stringMatching(/task fetch is not idempotent \(idempotent: false\), so peh never runs it again on its own/) });
    expect(result.stdout).not.toContain("automatic retry");
    const ledger = (JSON.parse(ws.peh("status", "--json").stdout) as { ledger: { retries_allowed: number | null; standing: string }[] }).ledger;
    expect(ledger[0]).toMatchObject({ retries_allowed: 0, standing: "awaiting decision (not idempotent: never retried on its own)" });
    // A human's retry runs it once more, and no more.
    expect(ws.peh("decide", "--task", "fetch", "retry", "--as", "ana").code).toBe(0);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(3);
    expect((await ws.read("charges")).trim().split("\n")).toEqual(["charged", "charged"]);
  });

  it("logic_error: one retry, then escalate", async () => {
    await ws.write("plan.yaml", planWith(flaky(9, "AssertionError: expected 1 to be 2"), fast));
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(3);
    expect(await recoveryTrail()).toEqual([
      "TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ATTEMPTED",
      "TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION",
    ]);
  });

  it("permission: PERMISSION_REQUIRED at once, no retry, and nothing asks for credentials", async () => {
    await ws.write("plan.yaml", planWith(flaky(9, "open /etc/app.conf: permission denied")));
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code).toBe(3);
    expect(await recoveryTrail()).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "PERMISSION_REQUIRED"]);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/password|credential/i);
  });

  it("invalid input and missing resources escalate at once", async () => {
    await ws.write("plan.yaml", planWith("echo 'usage: fetch URL' >&2; exit 2"));
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(3);
    expect(await recoveryTrail()).toEqual(["TASK_STARTED", "TASK_FAILED", "FAILURE_CLASSIFIED", "RECOVERY_ESCALATION"]);
    expect((await events()).find((e) => e.type === "FAILURE_CLASSIFIED")?.data.class).toBe("invalid_input");
  });

  it("unrecoverable (a missing file) and unknown (killed by a signal) escalate at once", async () => {
    await ws.write("plan.yaml", planWith("cat missing.json"));
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(3);
    expect((await events()).find((e) => e.type === "FAILURE_CLASSIFIED")?.data).toMatchObject({ class: "unrecoverable", rule: "missing resource" });
    expect((await recoveryTrail()).at(-1)).toBe("RECOVERY_ESCALATION");
    expect(ws.peh("decide", "--task", "fetch", "abort", "--as", "ana").code).toBe(0);

    await ws.write("plan2.yaml", planWith("kill -9 $$"));
    const first = await readdir(join(ws.path, ".peh", "runs"));
    expect(ws.peh("run", "--from", "plan2.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(3);
    // The new run, not the latest by name: two runs created in one second sort by their random suffix.
    const second = (await readdir(join(ws.path, ".peh", "runs"))).find((run) => !first.includes(run));
    const log = (await ws.read(`.peh/runs/${second}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as Event);
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")?.data).toMatchObject({ class: "unknown", evidence: "killed by SIGKILL" });
    expect(log.at(-1)?.type).toBe("RECOVERY_ESCALATION");
  });

  it("classifies by what the process printed, never by peh's echo of the command or its exit line", async () => {
    await ws.write("check-schema.sh", "exit 1\n");
    await ws.write("usage-invalid.sh", "echo 'compared 12 files'; exit 1\n");
    await ws.write(
      "plan.yaml",
      [
        "objective: Check the schema and the usage",
        "tasks:",
        "  - { id: schema, objective: Check the schema, scope: workspace, run: 'sh ./check-schema.sh' }",
        "  - { id: usage, objective: Check the usage, scope: workspace, run: 'true', acceptance_tests: ['sh ./usage-invalid.sh'] }",
      ].join("\n"),
    );
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "2").code).toBe(3);
    const classified = new Map((await events()).filter((e) => e.type === "FAILURE_CLASSIFIED").map((e) => [e.data.task_id, e.data]));
    expect(classified.get("schema")).toMatchObject({ class: "logic_error", rule: "exit 1", evidence: "the command printed nothing" });
    expect(classified.get("usage")).toMatchObject({ class: "logic_error", rule: "acceptance test failed", evidence: "compared 12 files" });
  });

  it("classifies a failure recorded before a crash from the attempt's log, as it would have without the crash", async () => {
    await ws.write("plan.yaml", planWith("echo 'ECONNRESET while fetching' >&2; exit 1", "recovery: { transient: { max_retries: 0 } }"));
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    expect(ws.peh("approve", "--as", "ana").code).toBe(0);
    const saved = await ws.read(`${await runDir()}/events.jsonl`);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(3);
    const uninterrupted = await events();
    const failedAt = uninterrupted.find((e) => e.type === "TASK_FAILED")!.seq;
    const classified = uninterrupted.find((e) => e.type === "FAILURE_CLASSIFIED")!.data;
    // The same run again, killed right after TASK_FAILED: its classification is left to the resumed run.
    await ws.write(`${await runDir()}/events.jsonl`, saved);
    await rm(join(ws.path, await runDir(), "attempts"), { recursive: true });
    ws.env.PEH_CRASH_AFTER_SEQ = String(failedAt);
    expect(ws.peh("run", "--trust-root", ".").code).toBeNull();
    delete ws.env.PEH_CRASH_AFTER_SEQ;
    expect((await events()).some((e) => e.type === "FAILURE_CLASSIFIED")).toBe(false);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(3);
    expect((await events()).find((e) => e.type === "FAILURE_CLASSIFIED")?.data).toEqual(classified);
    expect(classified).toMatchObject({ class: "transient", evidence: "ECONNRESET while fetching" });
  });

  it("a custom rule is checked before the built-in ones; a server's Retry-After sets the wait", async () => {
    await ws.write("plan.yaml", planWith(flaky(1, "AssertionError: flaky upstream; Retry-After: 1"), 'classify: [{ match: "flaky upstream", class: transient }]'));
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(0);
    const log = await events();
    expect(log.find((e) => e.type === "FAILURE_CLASSIFIED")?.data).toMatchObject({ class: "transient", rule: "plan rule /flaky upstream/" });
    expect(log.find((e) => e.type === "RECOVERY_ATTEMPTED")?.data.delay_ms).toBe(1_000);
  });

  it("a policy may skip: the dependents proceed, and the decision is the policy's, recorded", async () => {
    await ws.write(
      "plan.yaml",
      [
        "objective: Fetch data.json, then report",
        "recovery: { logic_error: { action: skip } }",
        "tasks:",
        "  - { id: fetch, objective: Fetch data.json, scope: workspace, run: 'echo failing >&2; exit 1' }",
        "  - { id: report, objective: Write report.txt, scope: workspace, depends_on: [fetch], run: 'echo ok > report.txt' }",
      ].join("\n"),
    );
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(0);
    expect(await ws.read("report.txt")).toBe("ok\n");
    const decision = (await events()).find((e) => e.type === "DECISION_RECORDED");
    expect(decision?.data.decision).toBe("skip");
  });

  it("a run that went past a failure the policy skipped completes (exit 0), and its summary, status and report say so", async () => {
    await ws.write(
      "plan.yaml",
      [
        "objective: Lint, then build",
        "recovery: { logic_error: { action: skip } }",
        "tasks:",
        "  - { id: lint, objective: Lint the sources, scope: workspace, run: 'echo 3 problems >&2; exit 1' }",
        "  - { id: build, objective: Write build.txt, scope: workspace, depends_on: [lint], run: 'echo ok > build.txt' }",
      ].join("\n"),
    );
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    expect(result.code, result.stderr).toBe(0);
    const said = "completed with 1 failure skipped by policy: lint (logic_error)";
    expect(result.stdout).toContain(`${said} · 1/2 succeeded, 0 failed, 1 skipped`);
    expect(result.stdout).not.toMatch(/^completed:/m);
    expect(ws.peh("status").stdout).toContain("Completed with 1 failure skipped by policy: lint (logic_error)");
    expect(ws.peh("report").stdout).toContain(`- Outcome: **${said}** at `);
    const status = JSON.parse(ws.peh("status", "--json").stdout) as { skipped_failures: unknown[] };
    expect(status.skipped_failures).toEqual([{ task_id: "lint", class: "logic_error", by: "policy", actor: null }]);
  });

  it("a retry's wait survives a restart: the resumed run waits for the recorded due time, not a new delay", async () => {
    await ws.write("plan.yaml", planWith(flaky(1, "ECONNRESET"), "recovery: { transient: { delays: [2s] } }"));
    ws.peh("plan", "--from", "plan.yaml");
    ws.peh("approve", "--as", "ana");
    const run = ws.start(["run", "--trust-root", "."]);
    await run.line(/automatic retry 1 of 2 in/);
    run.kill("SIGTERM");
    expect(await run.exit).toBe(143);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(0);
    const log = await events();
    const scheduled = log.filter((e) => e.type === "RECOVERY_ATTEMPTED");
    expect(scheduled).toHaveLength(1);
    const second = log.find((e) => e.type === "TASK_STARTED" && e.data.attempt === 2)!;
    expect(Date.parse(second.at)).toBeGreaterThanOrEqual(Date.parse(scheduled[0]!.data.due_at as string));
  });

  it("a task that prints a secret from the environment leaves no trace of it in the log, the attempt files or the terminal", async () => {
    const secret = "s3cr3t-Value-9f8e7d6c5b4a";
    await ws.write("plan.yaml", planWith("echo token=$API_TOKEN; echo HTTP 503 $API_TOKEN >&2; exit 1", "recovery: { transient: { max_retries: 1, delays: [10ms] } }"));
    ws.env.API_TOKEN = secret;
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".");
    delete ws.env.API_TOKEN;
    expect(result.code).toBe(3);
    const dir = await runDir();
    const files = [`${dir}/events.jsonl`, ...(await readdir(join(ws.path, dir, "attempts"))).map((f) => `${dir}/attempts/${f}`)];
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) expect(await ws.read(file), file).not.toContain(secret);
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
    expect(await ws.read(`${dir}/attempts/fetch#1.log`)).toContain("token=");
  });
});

describe("recovery › stop on error holds a sibling's retry", () => {
  // b fails (transient, once) only after a's escalation is in the log: its retry would have to
  // wait for the decision on a.
  // (The event's name is put together by the shell: the plan in the log holds this command too.)
  const afterEscalation = "e=ESCALATION; i=0; until grep -q RECOVERY_$e .peh/runs/*/events.jsonl || [ $i -ge 400 ]; do sleep 0.05; i=$((i+1)); done";
  const plan = [
    "objective: Fetch a.json and b.json",
    fast,
    "tasks:",
    "  - { id: a, objective: Fetch a.json, scope: workspace, run: \"echo 'usage: fetch URL' >&2; exit 2\" }",
    `  - { id: b, objective: Fetch b.json, scope: workspace, run: "${afterEscalation}; ${flaky(1, "ECONNRESET")}" }`,
  ].join("\n");
  type Ledger = { ledger: { task_id: string; retries_used: number; next_retry_at: string | null; standing: string }[] };

  it("prints no retry note and counts no retry while the run waits; the retry runs after the decision", async () => {
    await ws.write("plan.yaml", plan);
    const result = ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "2");
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toContain("b: transient failure; retry held until the decision on a");
    expect(result.stdout).not.toContain("automatic retry");
    expect((await events()).some((e) => e.type === "RECOVERY_ATTEMPTED")).toBe(false);
    const held = (JSON.parse(ws.peh("status", "--json").stdout) as Ledger).ledger.find((entry) => entry.task_id === "b");
    expect(held).toMatchObject({ retries_used: 0, next_retry_at: null, standing: expect.stringMatching(/^retry held until the decision on a/) });
    expect(ws.peh("status").stdout).toMatch(/b\s+classified\s+attempt 1 · retries 0 of 2 \(transient\) · retry held until the decision on a\n/);

    expect(ws.peh("decide", "--task", "a", "skip", "--as", "ana").code).toBe(0);
    const resumed = ws.peh("run", "--trust-root", ".");
    expect(resumed.code, resumed.stderr).toBe(0);
    const log = await events();
    const decided = log.find((e) => e.type === "DECISION_RECORDED")!;
    expect(log.filter((e) => e.type === "RECOVERY_ATTEMPTED").map((e) => e.seq > decided.seq)).toEqual([true]);
    expect(resumed.stdout).toContain("b: transient failure, automatic retry 1 of 2");
  });

  it("never schedules the retry if the decision is abort", async () => {
    await ws.write("plan.yaml", plan);
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".", "--concurrency", "2").code).toBe(3);
    expect(ws.peh("decide", "--task", "a", "abort", "--as", "ana").code).toBe(0);
    expect(ws.peh("run", "--trust-root", ".").code).toBe(1);
    const log = await events();
    expect(log.some((e) => e.type === "RECOVERY_ATTEMPTED")).toBe(false);
    expect(log.find((e) => e.type === "TASK_SKIPPED" && e.data.task_id === "b")?.data.reason).toBe("aborted");
  });
});

describe("recovery › the ledger in peh status", () => {
  it("shows attempts, retries used of allowed, exhausted, never tried, and the command awaited; a human's retry resets the budget", async () => {
    await ws.write(
      "plan.yaml",
      [
        "objective: Fetch data.json, then report",
        fast,
        "tasks:",
        `  - { id: fetch, objective: Fetch data.json, scope: workspace, run: "${flaky(9, "ECONNRESET")}" }`,
        "  - { id: report, objective: Write report.txt, scope: workspace, depends_on: [fetch], run: 'echo ok > report.txt' }",
      ].join("\n"),
    );
    expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", "--trust-root", ".").code).toBe(3);
    type Status = { ledger: { task_id: string; attempts: number; retries_used: number; retries_allowed: number | null; standing: string }[]; awaited: { kind: string; command: string }[] };
    const status = JSON.parse(ws.peh("status", "--json").stdout) as Status;
    expect(status.ledger).toEqual([
      expect.objectContaining({ task_id: "fetch", attempts: 3, retries_used: 2, retries_allowed: 2, standing: "exhausted, awaiting decision" }),
      expect.objectContaining({ task_id: "report", attempts: 0, retries_used: 0, retries_allowed: null, standing: "never tried" }),
    ]);
    expect(status.awaited).toEqual([expect.objectContaining({ kind: "decision", command: expect.stringMatching(/^peh decide r-\S+ --task fetch retry\|skip\|abort --as NAME$/) })]);
    const text = ws.peh("status");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/! fetch\s+awaiting decision attempt 3 · retries 2 of 2 \(transient\) · exhausted/);
    expect(text.stdout).toMatch(/→ peh decide r-\S+ --task fetch/);

    expect(ws.peh("decide", "--task", "fetch", "retry", "--as", "bo").code).toBe(0);
    const reset = JSON.parse(ws.peh("status", "--json").stdout) as Status;
    expect(reset.ledger[0]).toMatchObject({ retries_used: 0, standing: "retry scheduled" });
    // The fresh budget is used again: three more attempts, then a human decides again.
    expect(ws.peh("run", "--trust-root", ".").code).toBe(3);
    expect((await recoveryTrail()).filter((t) => t === "TASK_STARTED")).toHaveLength(6);
    expect((await ws.read("tries.txt")).trim()).toBe("6");
  });
});
