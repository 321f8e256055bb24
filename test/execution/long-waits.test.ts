// Waits longer than Node's timers hold (2^31 − 1 ms, ~24.8 days): a longer setTimeout fires at
// once. Every wait of a user-given length holds the whole range peh accepts. Time here is fake
// (vitest's timers and Date, which mimic Node's overflow); the processes are real.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { isPehError } from "../../events/index.js";
import { delay, MAX_TIMER_MS, timer } from "../../runtime/execution/delay.js";
import { Orchestrator, type ProgressLine } from "../../runtime/execution/orchestrator.js";
import { approveRun, createRun } from "../../runtime/gate/gate.js";
import { callPlanner } from "../../runtime/planning/external-planner.js";
import { tempDir } from "../support/temp-dir.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
});
afterEach(async () => {
  vi.useRealTimers();
  await dir.remove();
});

/** Lets real I/O (processes, files) go on until `done` holds; fake time does not move meanwhile. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

describe("a wait of the runtime", () => {
  it("holds 1000h: not over after 25 days, over at 1000h", async () => {
    let over = false;
    void delay(1000 * HOUR).done.then(() => (over = true));
    await vi.advanceTimersByTimeAsync(25 * DAY);
    expect(over).toBe(false);
    await vi.advanceTimersByTimeAsync(1000 * HOUR - 25 * DAY - 1);
    expect(over).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(over).toBe(true);
  });

  it("keeps only one timer at a time, each within what Node holds, and none once cancelled", async () => {
    const cancel = timer(100 * DAY, () => undefined);
    expect(vi.getTimerCount()).toBe(1);
    const before = Date.now();
    await vi.advanceTimersToNextTimerAsync();
    expect(Date.now() - before).toBe(MAX_TIMER_MS);
    expect(vi.getTimerCount()).toBe(1);
    cancel();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ends early when its signal aborts", async () => {
    const stop = new AbortController();
    let over = false;
    void delay(1000 * HOUR, stop.signal).done.then(() => (over = true));
    stop.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(over).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("a planner's timeout", () => {
  it("holds 1000h: the planner is not stopped after 25 days, and is at 1000h", async () => {
    let failure: unknown;
    const call = callPlanner({ command: "sleep 60", timeoutMs: 1000 * HOUR, cwd: dir.path }, "decompose", { objective: "x" }).catch((error: unknown) => (failure = error));
    await vi.advanceTimersByTimeAsync(25 * DAY);
    expect(failure).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000 * HOUR - 25 * DAY);
    await call;
    expect(isPehError(failure, "PLANNER_FAILED") && failure.message).toContain(`did not answer within ${1000 * HOUR} ms`);
  });
});

describe("a scheduled retry far ahead", () => {
  it("waits out a Retry-After of 34 days without spinning, then retries when it is due", { timeout: 60_000 }, async () => {
    const workspace = join(dir.path, "workspace");
    await mkdir(workspace, { recursive: true });
    // The first attempt answers 503 with a Retry-After of 3,000,000 s (~34.7 days); the second passes.
    const run = "if [ -f tried ]; then exit 0; fi; touch tried; echo '503 Service Unavailable'; echo 'Retry-After: 3000000'; exit 1";
    await writeFile(join(workspace, "plan.json"), JSON.stringify({ objective: "Fetch feed.xml", tasks: [{ id: "fetch", objective: "Fetch feed.xml", scope: "workspace", run }] }));
    const store = new LowdbEventStore(join(workspace, ".peh"));
    const created = await createRun(store, { workspace, from: join(workspace, "plan.json") });
    await approveRun(store, created.run_id, { actor: "ana", confirmations: [] });
    const lines: ProgressLine[] = [];
    let secondAt: number | undefined;
    const progress = (line: ProgressLine) => {
      lines.push(line);
      if (line.kind === "started" && line.attempt === 2) secondAt = Date.now();
    };
    let ended = false;
    const outcome = new Orchestrator({ store, runId: created.run_id, concurrency: 1, wait: false, trustRoots: [workspace], progress }).execute().finally(() => (ended = true));
    await until(() => lines.some((line) => line.kind === "note" && line.text.includes("automatic retry")));
    const due = Date.now() + 3_000_000_000;
    // Each step moves fake time to the next timer and runs it: a loop that spun would need a
    // step per millisecond; a wait that holds the whole delay needs a few.
    let steps = 0;
    while (secondAt === undefined && !ended && steps < 1_000) {
      if (vi.getTimerCount() === 0) await new Promise((resolve) => setImmediate(resolve)); // real I/O under way
      else {
        await vi.advanceTimersToNextTimerAsync();
        steps++;
      }
    }
    expect(steps).toBeLessThan(20);
    expect(secondAt).toBeGreaterThanOrEqual(due - 1_000);
    await until(() => ended);
    expect(await outcome).toEqual({ kind: "completed" });
  });
});
