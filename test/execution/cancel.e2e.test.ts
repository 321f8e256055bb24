// A human's word while a run executes, end to end: `peh decide … retry` runs a retry that waits
// for its due time now, and `peh cancel` ends a run, stopping what a running `peh run` runs.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workspace, type Workspace } from "../support/workspace.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(async () => ws.remove());

type Event = { type: string; seq: number; actor: string; data: Record<string, unknown> };
const runDir = async () => `.peh/runs/${(await readdir(join(ws.path, ".peh", "runs")))[0]}`;
const events = async (): Promise<Event[]> => (await ws.read(`${await runDir()}/events.jsonl`)).trim().split("\n").map((line) => JSON.parse(line) as Event);
const state = () => JSON.parse(ws.peh("show", "--json").stdout) as { state: string; tasks: Record<string, string> };

/** Fails once asking to come back in a day, then passes; counts its tries in tries.txt. */
const aDayLater = "n=$(cat tries.txt 2>/dev/null || echo 0); n=$((n+1)); echo $n > tries.txt; if [ $n -le 1 ]; then echo 'HTTP 503 Service Unavailable; Retry-After: 86400' >&2; exit 1; fi";

/** No live process in the group: each member gone, or dead and not yet reaped (a zombie runs nothing). */
async function groupRunsNothing(pgid: number): Promise<boolean> {
  const live = async () => {
    let count = 0;
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
      const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(group) === pgid && state !== "Z") count++;
    }
    return count;
  };
  // A killed process is gone once the kernel has run its exit: poll for it, up to 5 s.
  for (let polled = 0; polled < 500; polled++) {
    if ((await live()) === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

async function planned(lines: string[]): Promise<void> {
  await ws.write("plan.yaml", ["objective: Release the app", "tasks:", ...lines].join("\n"));
  expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
  expect(ws.peh("approve", "--as", "ana").code).toBe(0);
}

describe("peh decide › retry now", () => {
  it("runs a retry that waits a day at once, and the peh run that waits for it starts it", async () => {
    await planned([
      `  - { id: fetch, objective: Fetch data.json, scope: workspace, run: "${aDayLater}" }`,
      "  - { id: after, objective: Write after.txt, scope: workspace, depends_on: [fetch], run: 'echo ok > after.txt' }",
    ]);
    const run = ws.start(["run", "--trust-root", "."]);
    // A day, less what passed between the failure and its recipe (86399.9s on a loaded machine).
    await run.line(/fetch: transient failure, automatic retry 1 of 2 in 86[34]\d\d\.\ds/);
    const now = ws.peh("decide", "--task", "fetch", "retry", "--as", "bo");
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toMatch(/fetch's scheduled retry runs now, not at .+ \(decided by bo\)/);
    expect(await run.exit).toBe(0);
    expect((await ws.read("tries.txt")).trim()).toBe("2");
    expect(state()).toMatchObject({ state: "completed", tasks: { fetch: "succeeded", after: "succeeded" } });
    expect((await events()).find((e) => e.type === "RECOVERY_EXPEDITED")).toMatchObject({ actor: "bo", data: { task_id: "fetch", next_attempt: 2 } });
  });
});

describe("peh cancel", () => {
  it("stops the tasks a running peh run runs, skips the rest, and that peh run exits 1 (aborted)", async () => {
    await planned([
      "  - { id: slow, objective: Write slow.txt, scope: workspace, run: 'sleep 30; echo s > slow.txt' }",
      "  - { id: after, objective: Write after.txt, scope: workspace, depends_on: [slow], run: 'echo ok > after.txt' }",
    ]);
    const run = ws.start(["run", "--trust-root", "."]);
    const follow = ws.start(["log", "--follow"]);
    await follow.line(/WORKER_RUNNING \[Task 1\/2\] slow/);
    const cancel = ws.peh("cancel", "--as", "ana", "--reason", "moved to Monday");
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/cancelled r-\S+ \(by ana\): the peh run that runs it \(pid \d+\) stops its running tasks and ends it/);
    expect(await run.exit).toBe(1);
    expect(await follow.exit).toBe(0);
    expect(state()).toMatchObject({ state: "aborted", tasks: { slow: "skipped", after: "skipped" } });
    const log = await events();
    expect(log.find((e) => e.type === "RUN_CANCELLED")).toMatchObject({ actor: "ana", data: { reason: "moved to Monday" } });
    expect(log.find((e) => e.type === "TASK_INTERRUPTED")?.data).toMatchObject({ task_id: "slow", reason: "the run was cancelled" });
    expect(log.find((e) => e.type === "TASK_SKIPPED" && e.data.task_id === "after")?.data.reason).toBe("aborted");
    expect(log.at(-1)).toMatchObject({ type: "EXECUTION_COMPLETE", data: { outcome: "aborted" } });
    // The task's process group runs nothing any more: its command never finished.
    const pids = (await ws.read(`${await runDir()}/attempts/pids`)).trim().split("\n").filter((line) => line.startsWith("slow#1 ")).map((line) => Number(line.split(" ")[1]));
    for (const pid of pids.filter(Number.isInteger)) expect(await groupRunsNothing(pid), `process group ${pid}`).toBe(true);
    expect(await ws.read("slow.txt")).toBe("");
  });

  it("ends a run that nothing runs at once: one waiting for a decision, or for a retry due tomorrow", async () => {
    await planned([
      "  - { id: a, objective: Fail on bad input, scope: workspace, run: \"echo 'usage: a FILE' >&2; exit 2\" }",
      `  - { id: b, objective: Fetch data.json, scope: workspace, run: "${aDayLater}" }`,
      "  - { id: c, objective: Write c.txt, scope: workspace, depends_on: [a], run: 'echo c > c.txt' }",
    ]);
    expect(ws.peh("run", "--trust-root", ".", "--concurrency", "1").code).toBe(3);
    const cancel = ws.peh("cancel", "--as", "ana");
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/cancelled r-\S+ \(by ana\): aborted, 0\/3 succeeded, \d skipped/);
    expect(state().state).toBe("aborted");
    expect((await events()).at(-1)).toMatchObject({ type: "EXECUTION_COMPLETE", data: { outcome: "aborted" } });
    expect(ws.peh("run", "--trust-root", ".").code).toBe(1);
  });

  it("is refused, recording nothing, for a run that has ended or was never approved", async () => {
    await ws.write("plan.yaml", "objective: Write t.txt\ntasks:\n  - { id: t, objective: Write t.txt, scope: workspace, run: 'echo t > t.txt' }\n");
    expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
    const early = ws.peh("cancel", "--as", "ana");
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(/was never approved, so nothing of it runs: there is nothing to cancel/);
    expect(early.stderr).toMatch(/peh reject r-\S+ --reason/);
    ws.peh("approve", "--as", "ana");
    expect(ws.peh("run", "--trust-root", ".").code).toBe(0);
    const before = (await events()).length;
    const late = ws.peh("cancel", "--as", "ana");
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(/has already ended \(completed\): there is nothing to cancel/);
    expect((await events()).length).toBe(before);
  });

  it("says in --help what it does and how a running peh run ends", () => {
    const help = ws.peh("cancel", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--reason <text>");
    expect(help.stdout.replace(/\s+/g, " ")).toContain("stops its running tasks' process groups, records them interrupted, and exits 1 (aborted)");
  });
});
