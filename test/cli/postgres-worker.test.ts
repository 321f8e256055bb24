// `peh worker` on a shared PostgreSQL store: several workers share the approved runs and split
// each run's tasks (each attempt claimed by one worker, under the plan's concurrency cap); a
// worker killed mid-attempt, or stopped past its lease, has its attempt taken over and run again
// by another, with every task recorded done exactly once.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { PostgresEventStore } from "../../events/adapters.js";
import { RunIdSchema, type PehEvent, type RunId } from "../../events/index.js";
import { describeWithPostgres } from "../support/postgres.js";
import { workspace, type Workspace } from "../support/workspace.js";

const quick = (name: string) => `objective: Quick run ${name}
tasks:
  - { id: a, objective: First, scope: workspace, run: "echo a-${name} >> ran.txt" }
  - { id: b, objective: Second, scope: workspace, depends_on: [a], run: "echo b-${name} >> ran.txt" }
  - { id: c, objective: Third, scope: workspace, depends_on: [a], run: "echo c-${name} >> ran.txt" }
`;

// A task that runs until the test creates \`go\`: a worker can be killed or stopped while it runs.
const blocking = `objective: A run with a long task
tasks:
  - { id: first, objective: Start, scope: workspace, run: "true" }
  - { id: block, objective: Wait for go, scope: workspace, depends_on: [first], idempotent: true, run: "echo started >> starts.txt; while [ ! -f go ]; do sleep 0.05; done" }
  - { id: after, objective: End, scope: workspace, depends_on: [block], run: "echo after >> ran.txt" }
`;

/** Every task of the run completed exactly once, seq gapless, and the run complete. */
function expectFinishedOnce(events: PehEvent[], tasks: string[]): void {
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
  const completed = events.filter((event) => event.type === "TASK_COMPLETED").map((event) => (event.data as { task_id: string }).task_id);
  expect([...completed].sort()).toEqual([...tasks].sort());
  expect(events.at(-1)?.type).toBe("EXECUTION_COMPLETE");
}

describeWithPostgres("peh worker", (server) => {
  let ws: Workspace;
  let store: PostgresEventStore;
  beforeEach(async () => {
    ws = await workspace();
    const url = await server().database();
    Object.assign(ws.env, { PEH_STORE: url, XDG_STATE_HOME: join(ws.path, "..", "state"), PEH_TRUST_ROOTS: ws.path, PEH_ACTOR: "ana" });
    store = new PostgresEventStore(url);
  });
  afterEach(async () => {
    await store.close();
    await ws.remove();
  });

  const plan = async (name: string, text: string): Promise<RunId> => {
    await ws.write(`${name}.yaml`, text);
    const planned = ws.peh("plan", "--from", `${name}.yaml`, "--json");
    expect(planned.code, planned.stderr).toBe(0);
    const runId = RunIdSchema.parse(JSON.parse(planned.stdout).run_id);
    expect(ws.peh("approve", runId, "--as", "ana").code).toBe(0);
    return runId;
  };

  /** Resolves with the log once an event matching `found` is in it. */
  const until = async (runId: RunId, found: (event: PehEvent) => boolean): Promise<void> => {
    const abort = new AbortController();
    for await (const event of store.follow(runId, { signal: abort.signal })) if (found(event)) abort.abort();
  };
  /** Resolves once the workspace's starts.txt holds `count` lines: the attempt's command itself has begun. */
  const started = async (count: number): Promise<void> => {
    while ((await ws.read("starts.txt")).trim().split("\n").filter(Boolean).length < count) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  const running = (task: string, attempt: number) => (event: PehEvent) => event.type === "WORKER_RUNNING" && event.entity === `worker:${task}#${attempt}`;

  it("splits one run's tasks between two workers, never more under way than the plan's cap", async () => {
    const tasks = ["t1", "t2", "t3", "t4", "t5", "t6"];
    const runId = await plan(
      "split",
      `objective: Six tasks that wait for go\nconcurrency: 3\ntasks:\n${tasks.map((id) => `  - { id: ${id}, objective: Wait ${id}, scope: workspace, run: "echo ${id} >> starts.txt; while [ ! -f go ]; do sleep 0.05; done" }`).join("\n")}\n`,
    );
    // Each worker may run 2 at once, the plan 3: the third task under way is the other worker's.
    const workers = [ws.start(["worker", "--until-idle", "--concurrency", "2"]), ws.start(["worker", "--until-idle", "--concurrency", "2"])];
    await started(3);
    await writeFile(join(ws.path, "go"), "");
    expect(await Promise.all(workers.map((worker) => worker.exit))).toEqual([0, 0]);
    const events = await store.read(runId);
    expectFinishedOnce(events, tasks);
    const holders = new Set(events.flatMap((event) => (event.type === "WORKER_CLAIMED" ? [event.data.holder] : [])));
    expect(holders.size).toBe(2);
    // The cap, over the log: attempts under way (started, not yet ended) never more than 3.
    let under = 0;
    let most = 0;
    for (const event of events) {
      if (event.type === "TASK_STARTED") most = Math.max(most, ++under);
      if (event.type === "TASK_COMPLETED") under--;
    }
    expect(most).toBe(3);
  });

  it("shares the approved runs between two workers, every task done once", async () => {
    const runs = [await plan("one", quick("one")), await plan("two", quick("two")), await plan("three", quick("three"))];
    const workers = [ws.start(["worker", "--until-idle", "--concurrency", "2"]), ws.start(["worker", "--until-idle", "--concurrency", "2"])];
    expect(await Promise.all(workers.map((worker) => worker.exit))).toEqual([0, 0]);
    for (const runId of runs) expectFinishedOnce(await store.read(runId), ["a", "b", "c"]);
    // Each task's command ran once: no run was executed by both workers.
    expect((await ws.read("ran.txt")).trim().split("\n").sort()).toEqual(["one", "two", "three"].flatMap((name) => [`a-${name}`, `b-${name}`, `c-${name}`]).sort());
  });

  it("finishes a run whose worker was killed mid-attempt: the attempt interrupted and run again by another", async () => {
    const runId = await plan("long", blocking);
    const first = ws.start(["worker"]);
    // WORKER_RUNNING is recorded before the process starts: wait for the command itself.
    await until(runId, running("block", 1));
    await started(1);
    first.kill("SIGKILL");
    await first.exit;
    const second = ws.start(["worker", "--until-idle"]);
    await until(runId, running("block", 2));
    await writeFile(join(ws.path, "go"), "");
    expect(await second.exit).toBe(0);
    const events = await store.read(runId);
    expectFinishedOnce(events, ["first", "block", "after"]);
    expect(events.some((event) => event.type === "TASK_INTERRUPTED" && (event.data as { task_id: string }).task_id === "block")).toBe(true);
    // At least once: the killed attempt had started too.
    expect((await ws.read("starts.txt")).trim().split("\n")).toEqual(["started", "started"]);
  });

  it("takes a run from a worker stopped past its lease; woken, that worker records nothing more", async () => {
    Object.assign(ws.env, { PEH_RUN_LEASE_SECONDS: "2", PEH_TASK_LEASE_SECONDS: "2" });
    const runId = await plan("stalled", blocking);
    const stalled = ws.start(["worker"]);
    await until(runId, running("block", 1));
    await started(1);
    stalled.kill("SIGSTOP");
    const taker = ws.start(["worker", "--until-idle"]);
    await until(runId, running("block", 2));
    const takenAt = await store.version(runId);
    await writeFile(join(ws.path, "go"), "");
    expect(await taker.exit).toBe(0);
    const finished = await store.read(runId);
    expectFinishedOnce(finished, ["first", "block", "after"]);
    stalled.kill("SIGCONT");
    // Its attempt's result is refused (the attempt was taken over); it sees the run end and lets it go.
    await stalled.line(/left to another peh|completed/);
    stalled.kill("SIGTERM");
    await stalled.exit;
    // The woken worker's late steps were refused: the log is as the taker left it.
    expect(await store.read(runId)).toEqual(finished);
    expect(finished.length).toBeGreaterThan(takenAt);
  });
});
