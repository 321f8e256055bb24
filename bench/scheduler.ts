// The scheduler against xargs: a plan of independent `true` tasks (each with the acceptance test
// `true`) run at concurrency 8 on the durable store, ÷ xargs -P8 running `sh -c '/bin/true; /bin/true'`
// as many times, measured one after the other in one process. Beside them, floors: only the
// two processes per task that peh starts, started by the run's launcher as peh starts them, and
// spawned by Node itself as peh did before the launcher (runtime/execution/process/launcher.ts says why it exists);
// then the launcher's processes with what the event log's contract adds to them at the least
// (each started only once an fsynced line records it), without and with a log file per attempt.
// And a chain of 4n tasks against a chain of n: whether a turn of the scheduler costs more as the
// plan grows (it did: each turn asked every task, 89 s for a 3,000-task chain).
// All of these run with the sandbox off, as xargs runs without one: they measure the scheduler.
// The sandbox's own cost is a figure apart: the same 200 tasks under bwrap ÷ without, side by
// side (null where bwrap does not work).
// `schedulerFigures` runs them in a fresh process, as `peh run` is one: fork() costs grow with
// the size of the process that spawns, and the benchmark's own has just folded a 1M-event log.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mkdtemp, open, readFile, rm, writeFile, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LowdbEventStore } from "../events/adapters.js";
import { isPehError, PlanFileSchema, type SandboxMode } from "../events/index.js";
import { approveRun, createRun } from "../runtime/gate/gate.js";
import { Launcher } from "../runtime/execution/process/launcher.js";
import { shellArgv, shellCommand } from "../runtime/execution/process/shell.js";
import { Orchestrator } from "../runtime/execution/orchestrator.js";

/** Seconds for peh to run `tasks` tasks, independent ones or each depending on the one before. */
async function pehSeconds(tasks: number, shape: "independent" | "chain" = "independent", sandbox: SandboxMode = "off"): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-sched-"));
  try {
    const store = new LowdbEventStore(join(dir, ".peh"));
    const plan = PlanFileSchema.parse({
      objective: "Run true many times",
      tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, objective: `Run true #${i}`, scope: "workspace", run: "true", acceptance_tests: ["true"], depends_on: shape === "chain" && i > 0 ? [`t${i - 1}`] : [] })),
    });
    await writeFile(join(dir, "plan.json"), JSON.stringify(plan));
    const created = await createRun(store, { workspace: dir, from: "plan.json" });
    await approveRun(store, created.run_id, { actor: "bench", confirmations: [] });
    const start = performance.now();
    const outcome = await new Orchestrator({ store, runId: created.run_id, concurrency: 8, wait: false, trustRoots: [dir], sandbox, progress: () => {} }).execute();
    if (outcome.kind !== "completed") throw new Error(`benchmark run ended ${outcome.kind}`);
    return (performance.now() - start) / 1000;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function xargsSeconds(tasks: number): number {
  const start = performance.now();
  const result = spawnSync("sh", ["-c", `seq ${tasks} | xargs -P8 -I{} sh -c '/bin/true; /bin/true'`]);
  if (result.status !== 0) throw new Error("xargs baseline failed");
  return (performance.now() - start) / 1000;
}

/** One `/bin/sh -c true` with the options of runtime/execution/process/process-runner.ts (own group, three pipes). */
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

/** `count` runs of `one`, 8 at a time, and nothing else. */
async function eightAtATime(count: number, one: () => Promise<void>): Promise<number> {
  const start = performance.now();
  let started = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (started < count) {
        started++;
        await one();
      }
    }),
  );
  return (performance.now() - start) / 1000;
}

/** `true` as a task's default shell runs it. */
const TRUE_ARGV = shellArgv(shellCommand(), "true");

/** A launcher, and a function that starts `true` in `cwd` from it as a run starts a process. */
export function trueLauncher(cwd: string): { launcher: Launcher; launchTrue(): Promise<void> } {
  const env = { ...process.env };
  const launcher = new Launcher(env);
  const launchTrue = async () => {
    const exit = await launcher.start({ argv: TRUE_ARGV, cwd, env, onOutput: () => undefined, onPid: () => undefined });
    if (exit.exit_code !== 0) throw new Error(`true exited ${exit.exit_code ?? exit.signal}`);
  };
  return { launcher, launchTrue };
}

/** `count` processes started by a launcher, as a run starts its processes, and nothing else. */
async function launchSeconds(count: number): Promise<number> {
  const { launcher, launchTrue } = trueLauncher(tmpdir());
  try {
    await launchTrue(); // the helpers' own start is not part of a process's cost
    return await eightAtATime(count, launchTrue);
  } finally {
    launcher.close();
  }
}

/** Lines appended to one file: the lines that arrive in the same turn share one write and one fsync. */
class DurableLines {
  private pending: { line: string; durable(): void }[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly file: FileHandle) {}

  /** Resolves once `line` is on disk (fsynced). */
  append(line: string): Promise<void> {
    return new Promise((durable) => {
      this.pending.push({ line, durable });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // let this turn's lines gather
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      await this.file.write(batch.map((entry) => entry.line).join(""));
      await this.file.sync();
      for (const entry of batch) entry.durable();
    }
    this.flushing = undefined;
  }
}

/**
 * The least `tasks` tasks can cost under the event log's rule that an append is durable before
 * its effect starts: each task's two processes, started by the launcher 8 at a time, each only
 * once a line recording it is fsynced (lines of tasks that go together share one write and fsync,
 * as a run's group commit does); a task's end is recorded too, but nothing waits for it. Nothing
 * is decided, validated or locked. With `logs`, each attempt also writes its two commands' output
 * to a file of its own, as a run does (created once, written through one handle).
 */
async function durableFloorSeconds(tasks: number, logs: boolean): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-floor-"));
  const file = await open(join(dir, "events.jsonl"), "a");
  const { launcher, launchTrue } = trueLauncher(dir);
  // About as long as one of a run's events (~290 bytes).
  const record = (what: string, task: number) => `{"task":"t${task}","type":"${what}","pad":"${"x".repeat(240)}"}\n`;
  try {
    await launchTrue(); // the helpers' own start is not part of a process's cost
    const lines = new DurableLines(file);
    const ends: Promise<void>[] = [];
    let next = 0;
    const seconds = await eightAtATime(tasks, async () => {
      const task = next++;
      const log = logs ? await open(join(dir, `t${task}#1.log`), "a") : undefined;
      try {
        for (const step of ["STARTED", "VERIFYING"]) {
          await lines.append(record(step, task));
          await launchTrue();
          await log?.write("$ true\n\n[exit 0 after 1 ms]\n");
        }
      } finally {
        await log?.close();
      }
      ends.push(lines.append(record("COMPLETED", task)));
    });
    await Promise.all(ends);
    const recorded = (await readFile(join(dir, "events.jsonl"), "utf8")).split("\n").length - 1;
    if (recorded !== 3 * tasks) throw new Error(`the durable floor recorded ${recorded} lines, not ${3 * tasks}`);
    return seconds;
  } finally {
    launcher.close();
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export interface SchedulerFigures {
  peh_s: number;
  xargs_s: number;
  ratio: number;
  /** The two processes per task alone, started by the launcher, ÷ xargs: peh's own floor. */
  launch_floor_ratio: number;
  /** Those processes, each started only once a line recording it is fsynced, ÷ xargs (see durableFloorSeconds). */
  durable_floor_ratio: number;
  /** The same with a log file per attempt, ÷ xargs. */
  durable_log_floor_ratio: number;
  /** The same processes spawned by Node itself ÷ xargs: the floor before the launcher. */
  spawn_floor_ratio: number;
  /**
   * A chain of 4n tasks (each depends on the one before) ÷ a chain of n: 4 if the scheduler's
   * work per task does not grow with the plan, 16 if it grows linearly (quadratic in all).
   */
  chain_ratio_4x: number;
  /** 200 independent `true` tasks (check `true`) sandboxed ÷ the same unsandboxed; null where bwrap does not work. */
  sandbox_overhead_ratio: number | null;
}

/** Sandboxed ÷ unsandboxed, best of alternating rounds; null where the sandbox does not work. */
export async function sandboxOverhead(tasks: number, rounds: number): Promise<number | null> {
  let sandboxed = Infinity;
  let bare = Infinity;
  for (let round = 0; round < rounds; round++) {
    try {
      sandboxed = Math.min(sandboxed, await pehSeconds(tasks, "independent", "required"));
    } catch (error) {
      if (isPehError(error, "SANDBOX_UNAVAILABLE")) return null;
      throw error;
    }
    bare = Math.min(bare, await pehSeconds(tasks, "independent", "off"));
  }
  return sandboxed / bare;
}

export async function schedulerRatio(tasks: number): Promise<SchedulerFigures> {
  const xargs = xargsSeconds(tasks);
  const peh = await pehSeconds(tasks);
  const launched = await launchSeconds(2 * tasks);
  const spawned = await eightAtATime(2 * tasks, spawnTrue);
  const durable = await durableFloorSeconds(tasks, false);
  const durableLogged = await durableFloorSeconds(tasks, true);
  const chain = Math.max(1, Math.round(tasks / 2));
  const chainRatio = (await pehSeconds(4 * chain, "chain")) / (await pehSeconds(chain, "chain"));
  const sandbox_overhead_ratio = await sandboxOverhead(tasks < 1_000 ? Math.min(tasks, 50) : 200, tasks < 1_000 ? 1 : 3);
  return {
    sandbox_overhead_ratio, peh_s: peh, xargs_s: xargs, ratio: peh / xargs, launch_floor_ratio: launched / xargs, durable_floor_ratio: durable / xargs, durable_log_floor_ratio: durableLogged / xargs, spawn_floor_ratio: spawned / xargs, chain_ratio_4x: chainRatio };
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
