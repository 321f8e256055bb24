// peh beside what a user would otherwise reach for, each as a whole process, in alternating
// rounds in one process of its own (best of each), on plans of `true` tasks (check `true`):
// - LangGraph JS (bench/side-by-side/langgraph.ts: one node per task, SQLite checkpointer, maxConcurrency 8)
//   on 1,000 independent tasks and on a chain of 500 (each depends on the one before);
// - `make -j8` on a Makefile generated from the same independent plan (no durability at all);
// - the chain's floor under the event log's contract: per task and in order, fsync a line, start
//   the command, fsync a line, start the check, fsync a line, with the launcher peh uses; nothing
//   decided. `peh run` is `peh run --from plan.json --approve-as bench --sandbox off`, as a user
//   runs it (the plan's validation and the gate included), concurrency 8.
// LangGraph's figures are null, with the reason, where it cannot be loaded.
import { spawnSync } from "node:child_process";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { trueLauncher } from "../scheduler.js";

type Shape = "independent" | "chain";

const PEH = fileURLToPath(new URL("../../cli/main.js", import.meta.url));
const LANGGRAPH = fileURLToPath(new URL("./langgraph.js", import.meta.url));

/** Seconds `argv` takes as a whole process in `cwd`; throws with its stderr if it fails. */
function wholeProcess(argv: string[], cwd: string): number {
  const start = performance.now();
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0) {
    // The line that names the error (Node prints the stack, then its own version, after it).
    const lines = (result.stderr || result.error?.message || "").split("\n").map((line) => line.trim()).filter(Boolean);
    const why = lines.find((line) => /^\w*Error\b|^Error:/.test(line)) ?? lines.at(-1) ?? "no message";
    throw new Error(`${argv.slice(1, 3).join(" ")} exited ${result.status ?? result.signal}: ${why}`);
  }
  return seconds;
}

async function inFreshDir<T>(work: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-versus-"));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const taskIds = (tasks: number) => Array.from({ length: tasks }, (_, i) => `t${i}`);

function pehSeconds(tasks: number, shape: Shape): Promise<number> {
  return inFreshDir(async (dir) => {
    const plan = {
      objective: "Run true many times",
      tasks: taskIds(tasks).map((id, i) => ({ id, objective: `Run true #${i}`, scope: "workspace", run: "true", acceptance_tests: ["true"], depends_on: shape === "chain" && i > 0 ? [`t${i - 1}`] : [] })),
    };
    await writeFile(join(dir, "plan.json"), JSON.stringify(plan));
    return wholeProcess([process.execPath, PEH, "--store", join(dir, ".peh"), "run", "--from", "plan.json", "--approve-as", "bench", "--trust-root", dir, "--concurrency", "8", "--sandbox", "off", "--json"], dir);
  });
}

function langgraphSeconds(tasks: number, shape: Shape): Promise<number> {
  return inFreshDir((dir) => wholeProcess([process.execPath, LANGGRAPH, String(tasks), shape, dir], dir));
}

/** `make -j8` of a Makefile with a phony target per task whose recipe is the command and the check. */
function makeSeconds(tasks: number): Promise<number> {
  return inFreshDir(async (dir) => {
    const ids = taskIds(tasks);
    await writeFile(join(dir, "Makefile"), `.PHONY: all ${ids.join(" ")}\nall: ${ids.join(" ")}\n${ids.map((id) => `${id}:\n\ttrue\n\ttrue\n`).join("")}`);
    return wholeProcess(["make", "-s", "-j8", "-f", "Makefile", "all"], dir);
  });
}

/** The least a chain of `tasks` can cost under the contract (see the top of this file). */
function chainFloorSeconds(tasks: number): Promise<number> {
  return inFreshDir(async (dir) => {
    const file = await open(join(dir, "events.jsonl"), "a");
    const { launcher, launchTrue } = trueLauncher(dir);
    const line = (what: string, task: number) => `{"task":"t${task}","type":"${what}","pad":"${"x".repeat(240)}"}\n`;
    const durable = async (what: string, task: number) => {
      await file.write(line(what, task));
      await file.sync();
    };
    try {
      await launchTrue(); // the helper's own start is not part of a task's cost
      const start = performance.now();
      for (let task = 0; task < tasks; task++) {
        await durable("STARTED", task);
        await launchTrue();
        await durable("VERIFYING", task);
        await launchTrue();
        await durable("COMPLETED", task);
      }
      return (performance.now() - start) / 1000;
    } finally {
      launcher.close();
      await file.close();
    }
  });
}

export interface VersusFigures {
  peh_s: number;
  langgraph_s: number | null;
  make_s: number;
  peh_chain_s: number;
  langgraph_chain_s: number | null;
  chain_floor_s: number;
  chain_tasks: number;
  langgraph_error?: string;
}

export async function versus(tasks: number, chainTasks: number, rounds: number): Promise<VersusFigures> {
  const best = { peh: Infinity, langgraph: Infinity, make: Infinity, pehChain: Infinity, langgraphChain: Infinity, floor: Infinity };
  let langgraphError: string | undefined;
  const langgraph = async (shape: Shape, n: number): Promise<number> => {
    if (langgraphError) return Infinity;
    try {
      return await langgraphSeconds(n, shape);
    } catch (error) {
      langgraphError = (error as Error).message;
      return Infinity;
    }
  };
  for (let round = 0; round < rounds; round++) {
    best.peh = Math.min(best.peh, await pehSeconds(tasks, "independent"));
    best.langgraph = Math.min(best.langgraph, await langgraph("independent", tasks));
    best.make = Math.min(best.make, await makeSeconds(tasks));
    best.pehChain = Math.min(best.pehChain, await pehSeconds(chainTasks, "chain"));
    best.langgraphChain = Math.min(best.langgraphChain, await langgraph("chain", chainTasks));
    best.floor = Math.min(best.floor, await chainFloorSeconds(chainTasks));
  }
  const known = (s: number) => (langgraphError ? null : s);
  return {
    peh_s: best.peh, langgraph_s: known(best.langgraph), make_s: best.make, peh_chain_s: best.pehChain,
    langgraph_chain_s: known(best.langgraphChain), chain_floor_s: best.floor, chain_tasks: chainTasks,
    ...(langgraphError ? { langgraph_error: langgraphError } : {}),
  };
}

/** The figures from a fresh Node process running this module (as bench/scheduler.ts does, and why). */
export function versusFigures(tasks: number, chainTasks: number, rounds: number): VersusFigures {
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), String(tasks), String(chainTasks), String(rounds)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`side-by-side benchmark failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as VersusFigures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [tasks, chainTasks, rounds] = process.argv.slice(2).map(Number);
  process.stdout.write(JSON.stringify(await versus(tasks!, chainTasks!, rounds!)) + "\n");
}
