// PostgreSQL figures, on a throwaway server the benchmark starts itself (skipped, saying why,
// where none can start): durable appends in batches of 100; 1,000 independent `true` tasks (each
// with the acceptance test `true`) executed by 1, 2 and 4 `peh worker` processes splitting the
// run's tasks, beside the same plan run by `peh run` on the embedded store, all at concurrency 8
// each; a worker's peak resident memory; and how soon a line an attempt prints is on the server
// for any host to follow.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LowdbEventStore, PostgresEventStore } from "../events/adapters.js";
import { PehEventSchema, PlanFileSchema, RunIdSchema, type EventStore } from "../events/index.js";
import { approveRun, createRun } from "../runtime/gate/gate.js";
import { PgServer, postgresBinaries } from "./pg-server.js";

const bin = fileURLToPath(new URL("../cli/main.js", import.meta.url));

async function appendEventsPerSecond(store: EventStore, total: number, batch: number): Promise<number> {
  const run = RunIdSchema.parse("r-append");
  const batches = Array.from({ length: total / batch }, (_, b) =>
    Array.from({ length: batch }, (_, i) => {
      const seq = b * batch + i + 1;
      return PehEventSchema.parse({ id: `${run}.${seq}`, run_id: run, seq, at: new Date(Date.UTC(2026, 0, 15) + seq).toISOString(), actor: "system", entity: "task:build", type: "TASK_READY", data: { task_id: "build" } });
    }),
  );
  const start = performance.now();
  for (const [b, list] of batches.entries()) await store.append(run, list, b * batch);
  return total / ((performance.now() - start) / 1000);
}

/** Plans and approves `tasks` independent tasks in `store`, for a run in `dir`. */
async function prepare(store: EventStore, dir: string, tasks: number): Promise<void> {
  const plan = PlanFileSchema.parse({
    objective: "Run true many times",
    tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, objective: `Run true #${i}`, scope: "workspace", run: "true", acceptance_tests: ["true"] })),
  });
  await writeFile(join(dir, "plan.json"), JSON.stringify(plan));
  const created = await createRun(store, { workspace: dir, from: "plan.json" });
  await approveRun(store, created.run_id, { actor: "bench", confirmations: [] });
}

/** Runs `peh args` in `dir` to its end: seconds, and its peak resident memory (VmHWM) in MiB. */
function timed(args: string[], dir: string, env: NodeJS.ProcessEnv): Promise<{ seconds: number; rss_mb: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, ...env, PEH_TRUST_ROOTS: dir }, stdio: ["ignore", "ignore", "pipe"] });
    let peak = 0;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const sample = setInterval(() => {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (match) peak = Math.max(peak, Number(match[1]) / 1024);
    }, 100);
    child.on("close", (code) => {
      clearInterval(sample);
      if (code !== 0) reject(new Error(`peh ${args.join(" ")} exited ${code}: ${stderr}`));
      else resolve({ seconds: (performance.now() - start) / 1000, rss_mb: Math.round(peak) });
    });
  });
}

/**
 * How long a line an attempt prints takes to reach the server, where any host's follower reads
 * it: a `peh worker` runs a task that prints the time and waits; the server's copy is looked at
 * every 10 ms until the line is there (the median of `samples` lines, one a second).
 */
async function liveOutputMs(url: string, dir: string, env: NodeJS.ProcessEnv, samples: number): Promise<number> {
  const store = new PostgresEventStore(url);
  const plan = PlanFileSchema.parse({
    objective: "Print the time now and then",
    tasks: [{ id: "clock", objective: "Print the time", scope: "workspace", run: `for i in $(seq ${samples}); do echo "at $(date +%s%N)"; sleep 1; done` }],
  });
  await writeFile(join(dir, "clock.json"), JSON.stringify(plan));
  const created = await createRun(store, { workspace: dir, from: "clock.json" });
  await approveRun(store, created.run_id, { actor: "bench", confirmations: [] });
  const worker = timed(["worker", "--until-idle", "--run", created.run_id], dir, env);
  const lags: number[] = [];
  let offset = 0;
  let text = "";
  while (lags.length < samples) {
    const bytes = await store.output.readFrom(created.run_id, "clock#1", offset);
    offset += bytes.length;
    text += bytes.toString("utf8");
    for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n")) {
      const printed = /^at (\d+)$/.exec(text.slice(0, at));
      if (printed) lags.push(Date.now() - Number(BigInt(printed[1]!) / 1_000_000n));
      text = text.slice(at + 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await worker;
  await store.close();
  return lags.sort((a, b) => a - b)[Math.floor(lags.length / 2)]!;
}

export async function postgresFigures(tasks: number, appends: number): Promise<Record<string, number | string | null>> {
  const found = postgresBinaries();
  if ("missing" in found) return { pg_skipped: `no PostgreSQL server could start: ${found.missing}` };
  let server: PgServer;
  try {
    server = await PgServer.start();
  } catch (error) {
    return { pg_skipped: `no PostgreSQL server could start: ${(error as Error).message}` };
  }
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-pg-"));
  try {
    const appendStore = new PostgresEventStore(await server.database());
    const appended = await appendEventsPerSecond(appendStore, appends, 100);
    await appendStore.close();

    // The same run by 1, 2 and 4 workers splitting its tasks (task-level claims), each on a fresh database.
    const byWorkers = async (count: number) => {
      const url = await server.database();
      const store = new PostgresEventStore(url);
      await prepare(store, dir, tasks);
      await store.close();
      const env = { PEH_STORE: url, XDG_STATE_HOME: join(dir, "state"), XDG_CONFIG_HOME: join(dir, "config") };
      const start = performance.now();
      const runs = await Promise.all(Array.from({ length: count }, () => timed(["worker", "--until-idle", "--concurrency", "8"], dir, env)));
      return { seconds: (performance.now() - start) / 1000, rss_mb: Math.max(...runs.map((run) => run.rss_mb)) };
    };
    const worker = await byWorkers(1);
    const two = await byWorkers(2);
    const four = await byWorkers(4);

    const lowdbDir = join(dir, "lowdb");
    await rm(lowdbDir, { recursive: true, force: true });
    await mkdir(lowdbDir);
    await prepare(new LowdbEventStore(join(lowdbDir, ".peh")), lowdbDir, tasks);
    const lowdb = await timed(["--store", join(lowdbDir, ".peh"), "run", "--concurrency", "8"], lowdbDir, { XDG_CONFIG_HOME: join(dir, "config") });

    const liveDir = join(dir, "live");
    await mkdir(liveDir);
    const liveUrl = await server.database();
    const liveEnv = { PEH_STORE: liveUrl, XDG_STATE_HOME: join(dir, "live-state"), XDG_CONFIG_HOME: join(dir, "config") };
    const live = await liveOutputMs(liveUrl, liveDir, liveEnv, 5);

    return {
      pg_append_events_per_s: Math.round(appended),
      pg_tasks_per_s_1w: Math.round(tasks / worker.seconds),
      pg_tasks_per_s_2w: Math.round(tasks / two.seconds),
      pg_tasks_per_s_4w: Math.round(tasks / four.seconds),
      pg_scaling_2w_vs_1w: Number((worker.seconds / two.seconds).toFixed(2)),
      pg_vs_lowdb_ratio: Number((worker.seconds / lowdb.seconds).toFixed(2)),
      pg_worker_rss_mb: worker.rss_mb,
      // A printed line until the server has it for every host (median): the mirror sends every 250 ms.
      pg_output_live_ms: live,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.remove();
  }
}
