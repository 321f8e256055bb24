import { syntheticLog } from "/work/main/dist/bench/synthetic.js";
import { foldRun } from "/work/main/dist/machines/run.js";
const log = syntheticLog(10000);
let best = 0; for (let r = 0; r < 8; r++) { const t0 = performance.now(); foldRun(log); const t1 = performance.now(); best = Math.max(best, log.length / ((t1 - t0) / 1000)); }
console.log("best fold 100k ev/s", Math.round(best));
const big = syntheticLog(100000);
const t0 = performance.now(); foldRun(big); const t1 = performance.now();
console.log("1M fold ev/s", Math.round(big.length / ((t1 - t0) / 1000)));
