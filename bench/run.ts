// `npm run bench`: prints one JSON object of figures. `--quick` runs small sizes in well under a
// minute (for CI to execute, not to judge timings). Each figure beside its baseline in one run.
import { foldRun } from "../machines/run.js";
import { appendEventsPerSecond, appendRatio } from "./append.js";
import { syntheticLog, EVENTS_PER_TASK } from "./synthetic.js";
import { dagPlan, validateMs } from "./validate.js";
import { schedulerRatio } from "./scheduler.js";
import { statusFigures } from "./status.js";

const quick = process.argv.includes("--quick");

/** Best of `rounds` folds of a synthetic log of about `events` events: events per second. */
function replayEventsPerSecond(events: number, rounds: number): number {
  const log = syntheticLog(Math.round(events / EVENTS_PER_TASK));
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    foldRun(log);
    best = Math.max(best, log.length / ((performance.now() - start) / 1000));
  }
  return best;
}

// Validation runs first: the replay benchmark leaves a large heap behind that would tax it.
const validated = validation();

const figures = {
  quick,
  node: process.version,
  append_events_per_s: Math.round(await appendEventsPerSecond(quick ? 2_000 : 20_000, 100)),
  append_ratio_100k_vs_1k: Number((await appendRatio(quick ? 10_000 : 100_000, 1_000, quick ? 200 : 1_000, quick ? 1 : 3)).toFixed(2)),
  replay_events_per_s: Math.round(replayEventsPerSecond(quick ? 100_000 : 1_000_000, quick ? 2 : 3)),
  ...validated,
  scheduler_ratio_vs_xargs: Number((await schedulerRatio(quick ? 50 : 1_000)).ratio.toFixed(2)),
  ...(await statusFigures(quick ? 10_000 : 100_000, quick ? 1 : 3).then((f) => ({
    [quick ? "status_ms_10k" : "status_ms_100k"]: f.status_ms,
    [quick ? "status_rss_mb_10k" : "status_rss_mb_100k"]: f.status_rss_mb,
  }))),
};

/** Validation of a 10k-task DAG, and of a 100k-task one beside it, in alternating rounds (best of each). */
function validation() {
  const plans = { small: dagPlan(10_000), large: quick ? undefined : dagPlan(100_000) };
  let small = Infinity;
  let large = Infinity;
  for (let round = 0; round < (quick ? 3 : 7); round++) {
    small = Math.min(small, validateMs(plans.small));
    if (plans.large) large = Math.min(large, validateMs(plans.large));
  }
  return {
    validate_ms_10k: Number(small.toFixed(1)),
    validate_ratio_100k_vs_10k: quick ? null : Number((large / small).toFixed(2)),
  };
}

process.stdout.write(JSON.stringify(figures) + "\n");
