// `peh runs --json` as a user runs it (a whole process) on a durable store of many runs, half of
// them reruns of the run before (lineage in their first event, issue 22): the listing, and the
// listing of one run's descendants (found from first events alone). The first listing reads every
// log whole (cold); the next ones, best of `rounds`, start from the checkpoints it left.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RunIdSchema, type PehEvent } from "../events/index.js";
import { syntheticLog, writeSealedLog } from "./synthetic.js";

const bin = fileURLToPath(new URL("../cli/main.js", import.meta.url));

export interface RunsFigures {
  /** The first listing: every log read and folded, a checkpoint left for each run that has ended. */
  runs_list_cold_ms: number;
  /** The next ones (best of rounds): from those checkpoints. */
  runs_list_ms: number;
  runs_descendants_ms: number;
}

const idOf = (i: number) => RunIdSchema.parse(`r-20260115-${String(140000 + i).padStart(6, "0")}-b${String(i).padStart(4, "0")}`);

/** A store of `runs` completed runs of `tasks` tasks each; every odd one a rerun of the one before. */
export async function storeOf(dir: string, runs: number, tasks: number): Promise<void> {
  for (let i = 0; i < runs; i++) {
    const log = syntheticLog(tasks, idOf(i)).map((event, n) => ({ ...event, at: new Date(Date.UTC(2026, 0, 15, 14) + i * 1000 + n).toISOString() })) as PehEvent[];
    if (i % 2 === 1) {
      const created = log[0] as Extract<PehEvent, { type: "PLAN_CREATED" }>;
      log[0] = { ...created, data: { ...created.data, lineage: { kind: "rerun", source_run: idOf(i - 1), from_task: null, reused: [] } } };
    }
    await writeSealedLog(join(dir, "runs", idOf(i)), log);
  }
}

export async function runsFigures(runs: number, tasks: number, rounds: number): Promise<RunsFigures> {
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-runs-"));
  try {
    const store = join(dir, ".peh");
    await storeOf(store, runs, tasks);
    const time = (args: string[]): number => {
      const start = performance.now();
      const result = spawnSync(process.execPath, [bin, "--store", store, ...args], { encoding: "utf8", maxBuffer: 1 << 30 });
      const ms = performance.now() - start;
      if (result.status !== 0) throw new Error(`peh ${args.join(" ")} failed: ${result.stderr}`);
      return ms;
    };
    const cold = time(["runs", "--json"]);
    let list = Infinity;
    let descendants = Infinity;
    for (let round = 0; round < rounds; round++) {
      list = Math.min(list, time(["runs", "--json"]));
      descendants = Math.min(descendants, time(["runs", "--descendants", idOf(0), "--json"]));
    }
    return { runs_list_cold_ms: Math.round(cold), runs_list_ms: Math.round(list), runs_descendants_ms: Math.round(descendants) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// `node dist/bench/runs.js [runs] [tasks]`: this figure alone.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv[2] ?? 1000);
  console.log(JSON.stringify(await runsFigures(runs, Number(process.argv[3] ?? 20), 3)));
}
