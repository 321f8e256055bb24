// The scheduler against xargs: a plan of independent `true` tasks (each with the acceptance test
// `true`) run at concurrency 8 on the durable store, ÷ xargs -P8 running `sh -c '/bin/true; /bin/true'`
// as many times, measured one after the other in one process. Beside them, the floor: only the
// two processes per task that peh starts, spawned from that process as peh's runner spawns them.
// `schedulerFigures` runs them in a fresh process, as `peh run` is one: fork() costs grow with
// the size of the process that spawns, and the benchmark's own has just folded a 1M-event log.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LowdbEventStore } from "../events/adapters.js";
import { PlanFileSchema } from "../events/index.js";
import { approveRun, createRun } from "../runtime/gate.js";
import { Orchestrator } from "../runtime/orchestrator.js";

async function pehSeconds(tasks: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-sched-"));
  try {
    const store = new LowdbEventStore(join(dir, ".peh"));
    const plan = PlanFileSchema.parse({
      objective: "Run true many times",
      tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, objective: `Run true #${i}`, scope: "workspace", run: "true", acceptance_tests: ["true"] })),
    });
    await writeFile(join(dir, "plan.json"), JSON.stringify(plan));
    const created = await createRun(store, { workspace: dir, from: "plan.json" });
    await approveRun(store, created.run_id, { actor: "bench", confirmations: [] });
    const start = performance.now();
    const outcome = await new Orchestrator({ store, runId: created.run_id, concurrency: 8, wait: false, trustRoots: [dir], progress: () => {} }).execute();
    if (outcome.kind !== "completed") throw new Error(`benchmark run ended ${outcome.kind}`);
    return (performance.now() - start) / 1000;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function xargsSeconds(tasks: number): number {
  const start = performance.now();
  const result = spawnSync("sh", ["-c", `seq ${tasks} | xargs -P8 -I{} sh -c '/bin/true; /bin/true'`]);
  if (result.status !== 0) throw new Error("xargs baseline failed");
  return (performance.now() - start) / 1000;
}

/** One `/bin/sh -c true` with the options of runtime/process-runner.ts (own group, three pipes). */
function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", "true"], { detached: true, stdio: ["pipe", "pipe", "pipe"] });
    child.stdout.resume();
    child.stderr.resume();
    child.stdin.on("error", () => undefined);
    child.stdin.end("");
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`true exited ${code}`))));
  });
}

/** `count` processes, 8 at a time, and nothing else: what starting peh's processes costs from Node. */
async function spawnSeconds(count: number): Promise<number> {
  const start = performance.now();
  let started = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (started < count) {
        started++;
        await spawnTrue();
      }
    }),
  );
  return (performance.now() - start) / 1000;
}

export interface SchedulerFigures {
  peh_s: number;
  xargs_s: number;
  ratio: number;
  /** The two spawns per task alone ÷ xargs: no scheduler that spawns from Node can go below it. */
  spawn_floor_ratio: number;
}

export async function schedulerRatio(tasks: number): Promise<SchedulerFigures> {
  const xargs = xargsSeconds(tasks);
  const peh = await pehSeconds(tasks);
  const floor = await spawnSeconds(2 * tasks);
  return { peh_s: peh, xargs_s: xargs, ratio: peh / xargs, spawn_floor_ratio: floor / xargs };
}

/** The figures from a fresh Node process running this module. */
export function schedulerFigures(tasks: number): SchedulerFigures {
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), String(tasks)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`scheduler benchmark failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as SchedulerFigures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(JSON.stringify(await schedulerRatio(Number(process.argv[2]))) + "\n");
}
