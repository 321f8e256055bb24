// `npm run bench`: prints one JSON object of figures. `--quick` runs small sizes in well under a
// minute (for CI to execute, not to judge timings). Each figure beside its baseline in one run.
import { foldRun } from "../machines/fold/run.js";
import { appendEventsPerSecond, appendRatio, readEventsPerSecond } from "./append.js";
import { syntheticLog, EVENTS_PER_TASK } from "./synthetic.js";
import { dagPlan, lookupFloorMs, validateMs } from "./validate.js";
import { schedulerFigures } from "./scheduler.js";
import { versusFigures } from "./side-by-side/versus.js";
import { statusFigures } from "./status.js";
import { worktreeFigures } from "./worktree.js";
import { runsFigures } from "./runs.js";
import { uiFigures } from "./ui.js";
import { postgresFigures } from "./postgres.js";

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
// In a process of its own (see scheduler.ts), so its place in this list does not matter.
const scheduler = schedulerFigures(quick ? 50 : 1_000);
// Likewise: peh beside LangGraph JS, make and the chain's floor, alternating rounds.
const versus = versusFigures(quick ? 50 : 1_000, quick ? 25 : 500, quick ? 1 : 2);
const ratio = (a: number, b: number | null) => (b === null ? null : Number((a / b).toFixed(2)));

const figures = {
  quick,
  node: process.version,
  append_events_per_s: Math.round(await appendEventsPerSecond(quick ? 2_000 : 20_000, 100)),
  append_ratio_100k_vs_1k: Number((await appendRatio(quick ? 10_000 : 100_000, 1_000, quick ? 200 : 1_000, quick ? 1 : 3)).toFixed(2)),
  // Target ≥ 1,500,000.
  replay_events_per_s: Math.round(replayEventsPerSecond(quick ? 100_000 : 1_000_000, quick ? 2 : 3)),
  ...(await readEventsPerSecond(quick ? 2_000 : 10_000, 3).then((r) => ({
    read_sealed_events_per_s: Math.round(r.sealed),
    read_plain_events_per_s: Math.round(r.plain),
  }))),
  ...validated,
  scheduler_ratio_vs_xargs: Number(scheduler.ratio.toFixed(2)),
  launch_floor_ratio_vs_xargs: Number(scheduler.launch_floor_ratio.toFixed(2)),
  durable_floor_ratio_vs_xargs: Number(scheduler.durable_floor_ratio.toFixed(2)),
  durable_log_floor_ratio_vs_xargs: Number(scheduler.durable_log_floor_ratio.toFixed(2)),
  spawn_floor_ratio_vs_xargs: Number(scheduler.spawn_floor_ratio.toFixed(2)),
  // What peh adds over the least the contract costs (the log-file floor). Target ≤ 1.25.
  scheduler_over_floor: ratio(scheduler.ratio, scheduler.durable_log_floor_ratio),
  // `peh run` ÷ LangGraph JS, whole processes: 1,000 independent tasks, a chain of 500. Target ≤ 0.5 each.
  scheduler_ratio_vs_langgraph: ratio(versus.peh_s, versus.langgraph_s),
  chain_ratio_vs_langgraph: ratio(versus.peh_chain_s, versus.langgraph_chain_s),
  ...(versus.langgraph_error ? { langgraph_error: versus.langgraph_error } : {}),
  // `peh run` ÷ make -j8 of a Makefile generated from the plan (no durability). Reported, no target.
  scheduler_ratio_vs_make: ratio(versus.peh_s, versus.make_s),
  // The chain's latency per task, and the least it costs under the contract. Target: ratio ≤ 2.
  chain_ms_per_task: Number(((versus.peh_chain_s * 1000) / versus.chain_tasks).toFixed(2)),
  chain_floor_ms_per_task: Number(((versus.chain_floor_s * 1000) / versus.chain_tasks).toFixed(2)),
  chain_over_floor: ratio(versus.peh_chain_s, versus.chain_floor_s),
  [`scheduler_chain_ratio_${quick ? "100_vs_25" : "2k_vs_500"}`]: Number(scheduler.chain_ratio_4x.toFixed(2)),
  // 200 tasks (50 with --quick) under bwrap ÷ the same without; null where bwrap does not work. Target ≤ 1.3.
  sandbox_overhead_ratio: scheduler.sandbox_overhead_ratio === null ? null : Number(scheduler.sandbox_overhead_ratio.toFixed(2)),
  ...(await statusFigures(quick ? 10_000 : 100_000, quick ? 1 : 3).then((f) => {
    const size = quick ? "10k" : "100k";
    return {
      [`status_ms_${size}`]: f.status_ms,
      [`status_rss_mb_${size}`]: f.status_rss_mb,
      [`status_cold_ms_${size}`]: f.status_cold_ms,
      [`status_cold_rss_mb_${size}`]: f.status_cold_rss_mb,
    };
  })),
  ...(await worktreeFigures(quick ? 1_000 : 10_000, quick ? 3 : 5).then((f) => ({
    [`worktree_attempt_ms_${quick ? "1k" : "10k"}_files`]: f.attempt_ms,
    [`worktree_floor_ms_${quick ? "1k" : "10k"}_files`]: f.floor_ms,
  }))),
  ...(await runsFigures(quick ? 100 : 1_000, 20, quick ? 1 : 3).then((f) => {
    const size = quick ? "100" : "1000";
    return {
      [`runs_list_ms_${size}_runs`]: f.runs_list_ms,
      [`runs_list_cold_ms_${size}_runs`]: f.runs_list_cold_ms,
      [`runs_descendants_ms_${size}_runs`]: f.runs_descendants_ms,
    };
  })),
  ...(await postgresFigures(quick ? 100 : 1_000, quick ? 2_000 : 20_000)),
};

/** Validation of a 10k-task DAG, and of a 100k-task one beside it, in alternating rounds (best of each). */
function validation() {
  const plans = { small: dagPlan(10_000), large: quick ? undefined : dagPlan(100_000) };
  let small = Infinity;
  let large = Infinity;
  let floorSmall = Infinity;
  let floorLarge = Infinity;
  for (let round = 0; round < (quick ? 3 : 7); round++) {
    small = Math.min(small, validateMs(plans.small));
    floorSmall = Math.min(floorSmall, lookupFloorMs(plans.small));
    if (plans.large) {
      large = Math.min(large, validateMs(plans.large));
      floorLarge = Math.min(floorLarge, lookupFloorMs(plans.large));
    }
  }
  return {
    validate_ms_10k: Number(small.toFixed(1)),
    validate_ratio_100k_vs_10k: quick ? null : Number((large / small).toFixed(2)),
    lookup_floor_ratio_100k_vs_10k: quick ? null : Number((floorLarge / floorSmall).toFixed(2)),
  };
}

// Last: headless Chromium, when the machine has it (the figures say so when it does not).
Object.assign(figures, await uiFigures(quick));

process.stdout.write(JSON.stringify(figures) + "\n");
