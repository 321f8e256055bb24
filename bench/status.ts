// `peh status --json` as a user runs it: a whole process (start, read and parse the log, fold,
// print) on a synthetic run of about `events` events in a durable store. Wall time and the
// process's peak resident memory (read by a tiny --import hook as the process exits). The first
// run reads, validates and folds the whole log and leaves a checkpoint (cold); the next ones
// start from that checkpoint, as every later `peh status` of the run does (warm, best of rounds).
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { syntheticLog, EVENTS_PER_TASK, writeSealedLog } from "./synthetic.js";

const bin = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const HOOK = "process.on('exit', () => process.stderr.write('\\nPEH_MAX_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));";

export interface StatusFigures {
  status_ms: number;
  status_rss_mb: number;
  status_cold_ms: number;
  status_cold_rss_mb: number;
}

export async function statusFigures(events: number, rounds: number): Promise<StatusFigures> {
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-status-"));
  try {
    const log = syntheticLog(Math.round(events / EVENTS_PER_TASK));
    const runDir = join(dir, ".peh", "runs", log[0]!.run_id);
    await writeSealedLog(runDir, log);
    const hook = join(dir, "rss-hook.mjs");
    await writeFile(hook, HOOK);
    const status = (): { ms: number; rss_mb: number } => {
      const start = performance.now();
      const result = spawnSync(process.execPath, ["--import", hook, bin, "--store", join(dir, ".peh"), "status", "--json"], { encoding: "utf8", maxBuffer: 1 << 30 });
      const ms = performance.now() - start;
      if (result.status !== 0) throw new Error(`peh status failed: ${result.stderr}`);
      return { ms, rss_mb: Number(/PEH_MAX_RSS_KB=(\d+)/.exec(result.stderr)?.[1] ?? 0) / 1024 };
    };
    const cold = status();
    let best = Infinity;
    let rss = 0;
    for (let round = 0; round < rounds; round++) {
      const warm = status();
      best = Math.min(best, warm.ms);
      rss = Math.max(rss, warm.rss_mb);
    }
    return { status_ms: Math.round(best), status_rss_mb: Math.round(rss), status_cold_ms: Math.round(cold.ms), status_cold_rss_mb: Math.round(cold.rss_mb) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
