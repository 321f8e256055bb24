// The nemesis (issue 19): three `peh worker` processes split one 60-task DAG on a throwaway
// PostgreSQL while a worker is SIGKILLed mid-attempt, another is SIGSTOPped past its lease and
// woken, the workers' connections are cut (pg_terminate_backend) and the server is restarted
// (-m immediate). Then a checker over the log: every task reaches one terminal state, recorded
// once; no result of a superseded attempt accepted; an execution repeated only for an idempotent
// task whose lease expired; every dependency respected; seq gapless; the log a reader followed
// live through it all equals the replay. Nothing waits on time: each step waits for an event.
import { appendFileSync, writeFileSync } from "node:fs";
import { watch } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { PostgresEventStore } from "../../events/adapters.js";
import { RunIdSchema, type PehEvent, type RunId } from "../../events/index.js";
import { foldRun } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { PgServer, describeWithPostgres } from "../support/postgres.js";
import { hosts } from "../support/netns.js";
import { workspace, type Workspace } from "../support/workspace.js";
import { checkNemesisLog, dagPlan } from "./nemesis-check.js";

describeWithPostgres("workers nemesis", (server) => {
  let ws: Workspace;
  let store: PostgresEventStore;
  let database: string;
  beforeEach(async () => {
    ws = await workspace();
    const url = await server().database();
    database = new URL(url).pathname.slice(1);
    Object.assign(ws.env, { PEH_STORE: url, XDG_STATE_HOME: join(ws.path, "..", "state"), PEH_TRUST_ROOTS: ws.path, PEH_ACTOR: "ana", PEH_TASK_LEASE_SECONDS: "2", PEH_RUN_LEASE_SECONDS: "2" });
    store = new PostgresEventStore(url);
  });
  afterEach(async () => {
    // What a test that timed out left behind (its own finally blocks never run then): its workers,
    // a server and network namespaces of its own.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await store.close();
    await ws.remove();
  });

  it("60 tasks by three workers through kill, stall, cut connections and a server restart: nothing lost, nothing recorded twice", { timeout: 600_000 }, async () => {
    await nemesis({ ws, store, database, server: server(), workerUrl: () => ws.env.PEH_STORE as string });
  });

  // The full form: each worker on a host of its own (a network namespace over a veth pair).
  const FULL = process.env.TORTURE === "full";
  it.skipIf(!FULL)("the same with each worker in its own network namespace, reaching the server over a veth pair", { timeout: 600_000 }, async () => {
    const made = hosts(3);
    if ("missing" in made) throw new Error(`${made.missing}: TORTURE=full needs them (run as root with iproute2)`);
    const own = await PgServer.start({ listen: [1, 2, 3].map((i) => made.serverAddress(i)) });
    try {
      cleanups.push(() => own.remove(), () => made.remove());
      const url = await own.database();
      const name = new URL(url).pathname.slice(1);
      ws.env.PEH_STORE = url;
      const ownStore = new PostgresEventStore(url);
      try {
        await nemesis({
          ws,
          store: ownStore,
          database: name,
          server: own,
          workerUrl: (i) => url.replace("127.0.0.1", made.serverAddress(i + 1)),
          prefix: (i) => made.prefix(i + 1),
        });
      } finally {
        await ownStore.close();
      }
    } finally {
      await own.remove();
      made.remove();
    }
  });
});

if (process.env.TORTURE !== "full") console.warn('skipping "workers nemesis › in network namespaces": it runs under npm run test:torture (TORTURE=full)');

/** Undoes what a test started, in afterEach, if the test did not get to it. */
const cleanups: (() => unknown)[] = [];

interface Nemesis {
  ws: Workspace;
  store: PostgresEventStore;
  database: string;
  server: PgServer;
  /** The store's URL as worker i reaches it. */
  workerUrl: (i: number) => string;
  /** How worker i is started elsewhere (another host), if it is. */
  prefix?: (i: number) => string[];
}

async function nemesis({ ws, store, database, server: pgServer, workerUrl, prefix }: Nemesis): Promise<void> {
  const server = () => pgServer;

    const plan = dagPlan(6, 10, ["k", "s"]);
    await ws.write("plan.yaml", plan.text);
    const planned = ws.peh("plan", "--from", "plan.yaml", "--json");
    expect(planned.code, planned.stderr).toBe(0);
    const runId: RunId = RunIdSchema.parse(JSON.parse(planned.stdout).run_id);
    expect(ws.peh("approve", runId, "--as", "ana").code).toBe(0);

    // A reader that follows the log live through everything, and whoever waits for an event in it.
    const live: PehEvent[] = [];
    const waiters: { found: (event: PehEvent) => boolean; resolve: (event: PehEvent) => void }[] = [];
    const following = new AbortController();
    const follower = (async () => {
      for await (const event of store.follow(runId, { signal: following.signal })) {
        live.push(event);
        for (const waiter of [...waiters]) if (waiter.found(event)) (waiters.splice(waiters.indexOf(waiter), 1), waiter.resolve(event));
        if (event.type === "EXECUTION_COMPLETE") following.abort();
      }
    })().catch((error: unknown) => {
      if (!following.signal.aborted) throw error;
    });
    const until = (found: (event: PehEvent) => boolean): Promise<PehEvent> =>
      new Promise((resolve) => {
        const seen = live.find(found);
        if (seen) resolve(seen);
        else waiters.push({ found, resolve });
      });
    const pidOf = (holder: string) => (JSON.parse(holder) as { pid: number }).pid;

    const workers = [0, 1, 2].map((i) => ws.start(["worker", "--until-idle", "--concurrency", "3"], { PEH_STORE: workerUrl(i) }, prefix?.(i)));
    cleanups.push(() => workers.forEach((worker) => (worker.kill("SIGCONT"), worker.kill("SIGKILL"))));
    const pids = await Promise.all(workers.map(async (worker) => Number(/pid (\d+)/.exec(await worker.line(/^peh worker \(pid \d+\)/))![1])));
    const workerOf = (holder: string) => workers[pids.indexOf(pidOf(holder))]!;

    // 1. SIGKILL the worker whose attempt of `k` runs (its command has begun: it wrote its start).
    const claimedK = await until((e) => e.type === "WORKER_CLAIMED" && e.data.task_id === plan.ids.k);
    if (claimedK.type !== "WORKER_CLAIMED") throw new Error("unreachable");
    await until((e) => e.type === "WORKER_RUNNING" && e.data.worker_id === claimedK.data.worker_id);
    await waitForLine(ws, "starts.txt", `${plan.ids.k} ${claimedK.data.attempt}`);
    const killed = pidOf(claimedK.data.holder);
    workerOf(claimedK.data.holder).kill("SIGKILL");
    // Taken over by another worker (at once: its holder died on this host), then let through.
    await until((e) => e.type === "WORKER_LEASE_EXPIRED" && e.data.worker_id === claimedK.data.worker_id);
    // Whoever took it over killed the command the dead worker left running on this host.
    const interruptedK = await until((e) => e.type === "TASK_INTERRUPTED" && e.data.task_id === plan.ids.k && e.data.attempt === claimedK.data.attempt);
    expect(interruptedK.type === "TASK_INTERRUPTED" && interruptedK.data.reason).toMatch(/its process was still running, and was killed/);
    writeFileSync(join(ws.path, `go-${plan.ids.k}`), "");

    // 2. SIGSTOP a live worker while its attempt of `s` runs, past its lease; another takes it over.
    const claimedS = await until((e) => e.type === "WORKER_CLAIMED" && e.data.task_id === plan.ids.s && pidOf(e.data.holder) !== killed);
    if (claimedS.type !== "WORKER_CLAIMED") throw new Error("unreachable");
    await until((e) => e.type === "WORKER_RUNNING" && e.data.worker_id === claimedS.data.worker_id);
    await waitForLine(ws, "starts.txt", `${plan.ids.s} ${claimedS.data.attempt}`);
    const stalled = workerOf(claimedS.data.holder);
    stalled.kill("SIGSTOP");
    await until((e) => e.type === "WORKER_LEASE_EXPIRED" && e.data.worker_id === claimedS.data.worker_id);

    // 3. Cut every connection of the workers, wake the stalled one (its late result must be refused).
    await server().terminateAll(database);
    stalled.kill("SIGCONT");
    writeFileSync(join(ws.path, `go-${plan.ids.s}`), "");

    // 4. Once the next layer is under way, restart the server at once (a crash: -m immediate).
    await until((e) => e.type === "TASK_COMPLETED" && plan.layerOf(e.data.task_id) >= 2);
    await server().stop("immediate");
    await server().start();

    const codes = await Promise.all(workers.map((worker) => worker.exit));
    const said = workers.map((worker) => worker.lines().slice(-40).join(" | "));
    expect(codes.map((code, i) => (code === 0 || code === 137 ? code : `${code}: ${said[i]}`)).filter((code) => code !== 0)).toEqual([137]); // only the killed one
    await follower;
    const events = await store.read(runId);
    const executions = (await ws.read("executions.txt")).trim().split("\n").filter(Boolean);
    const summary = checkNemesisLog(plan, events, executions);
    // The live reader saw exactly the log, and folding it gives the same state as the replay.
    expect(live).toEqual(events);
    const replay = foldRun(events);
    const liveState = foldRun(live);
    expect([...liveState.tasks].map(([id, t]) => [id, stateName(t.value)])).toEqual([...replay.tasks].map(([id, t]) => [id, stateName(t.value)]));
    expect(summary.problems).toEqual([]);
    expect(summary.done).toBe(60);
    expect(summary.takeovers).toBeGreaterThanOrEqual(2);
    console.log(`workers nemesis: ${summary.done}/${plan.count} tasks, ${summary.lost} lost, ${summary.staleAccepted} stale writes accepted, ${summary.takeovers} attempts taken over, ${summary.repeats} executions repeated (idempotent, after a lease expired), ${summary.dependencyViolations} dependencies broken, seq gapless, replay = live`);
}

/** Resolves once `file` has the line `text` (written by a task's command); woken by each change of the file. */
async function waitForLine(ws: Workspace, file: string, text: string): Promise<void> {
  appendFileSync(join(ws.path, file), "");
  const stop = new AbortController();
  const changes = watch(join(ws.path, file), { signal: stop.signal });
  try {
    if ((await ws.read(file)).split("\n").includes(text)) return;
    for await (const _ of changes) if ((await ws.read(file)).split("\n").includes(text)) return;
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  } finally {
    stop.abort();
  }
}
