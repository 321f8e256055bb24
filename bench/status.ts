// `peh status --json` as a user runs it: a whole process (start, read and parse the log, fold,
// print) on a synthetic run of about `events` events in a durable store. Wall time and the
// process's peak resident memory (read by a tiny --import hook as the process exits).
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { syntheticLog, EVENTS_PER_TASK } from "./synthetic.js";

const bin = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const HOOK = "process.on('exit', () => process.stderr.write('\\nPEH_MAX_RSS_KB=' + process.resourceUsage().maxRSS + '\\n'));";

export async function statusFigures(events: number, rounds: number): Promise<{ status_ms: number; status_rss_mb: number }> {
  const dir = await mkdtemp(join(tmpdir(), "peh-bench-status-"));
  try {
    const log = syntheticLog(Math.round(events / EVENTS_PER_TASK));
    const runDir = join(dir, ".peh", "runs", log[0]!.run_id);
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, "events.jsonl"), log.map((event) => JSON.stringify(event)).join("\n") + "\n");
    const hook = join(dir, "rss-hook.mjs");
    await writeFile(hook, HOOK);
    let best = Infinity;
    let rss = 0;
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      const result = spawnSync(process.execPath, ["--import", hook, bin, "--store", join(dir, ".peh"), "status", "--json"], { encoding: "utf8", maxBuffer: 1 << 30 });
      const ms = performance.now() - start;
      if (result.status !== 0) throw new Error(`peh status failed: ${result.stderr}`);
      best = Math.min(best, ms);
      rss = Math.max(rss, Number(/PEH_MAX_RSS_KB=(\d+)/.exec(result.stderr)?.[1] ?? 0) / 1024);
    }
    return { status_ms: Math.round(best), status_rss_mb: Math.round(rss) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
