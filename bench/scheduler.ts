// The scheduler against xargs: a plan of independent `true` tasks (each with the acceptance test
// `true`) run at concurrency 8 on the durable store, ÷ xargs -P8 running `sh -c '/bin/true; /bin/true'`
// as many times, measured one after the other in this process.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
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
    const { writeFile } = await import("node:fs/promises");
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

export async function schedulerRatio(tasks: number): Promise<{ peh_s: number; xargs_s: number; ratio: number }> {
  const xargs = xargsSeconds(tasks);
  const peh = await pehSeconds(tasks);
  return { peh_s: peh, xargs_s: xargs, ratio: peh / xargs };
}
