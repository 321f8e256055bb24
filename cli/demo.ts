// `npm run demo`: a real plan on the embedded store, end to end, in a temporary workspace:
// plan examples/release.yaml, show the gate refusing a plain "yes" for the risky deploy,
// approve with the phrase, execute it with the orchestrator (bootstrap, workers, trust, the
// DAG in parallel, real processes), then print the execution log and rebuild the state from it;
// then isolated work in a fresh git repository (cli/demo-isolated.ts).
import { copyFile, mkdtemp } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isPehError } from "../events/index.js";
import { logEntries } from "../projections/log-view.js";
import { runView } from "../projections/run-view.js";
import { approveRun, createRun } from "../runtime/gate/gate.js";
import { Orchestrator } from "../runtime/execution/orchestrator.js";
import { openStore } from "../runtime/store/open.js";
import { placeOf } from "../runtime/store/place.js";
import { isolatedDemo } from "./demo-isolated.js";
import { processIo } from "./output.js";
import { renderLogLine } from "./render/log.js";
import { renderProgress } from "./render/progress.js";

const say = (text = "") => process.stdout.write(text + "\n");

async function main(): Promise<void> {
  const io = processIo();
  const workspace = await mkdtemp(join(tmpdir(), "peh-demo-"));
  await copyFile(fileURLToPath(new URL("../../examples/release.yaml", import.meta.url)), join(workspace, "release.yaml"));
  const store = openStore({ cwd: workspace });
  say(`peh demo — workspace ${workspace}, store ${placeOf(store).where}`);

  say("\n1. Plan examples/release.yaml (what `peh plan --from release.yaml` does)");
  const created = await createRun(store, { workspace, from: "release.yaml" });
  const runId = created.run_id;
  created.plan.tasks.forEach((task, index) => {
    const number = (id: string) => created.plan.tasks.findIndex((t) => t.id === id) + 1;
    const deps = task.depends_on.map((id) => `Task ${number(id)}`).join(", ");
    const risky = task.risky ? `  ⚠ RISKY — confirm with "${task.confirm ?? task.id}"` : "";
    say(`   Task ${index + 1}/${created.plan.tasks.length}: ${task.id}${deps ? ` (depends on ${deps})` : ""}${risky}`);
  });

  say('\n2. Gate: `peh approve --as demo --confirm yes` is refused; the phrase passes');
  try {
    await approveRun(store, runId, { actor: "demo", confirmations: ["yes"] });
  } catch (error) {
    if (!isPehError(error)) throw error;
    say(`   refused (${error.code}): ${error.message}`);
  }
  await approveRun(store, runId, { actor: "demo", confirmations: ["deploy 2.4.1 to production"] });
  say('   approved by demo with "deploy 2.4.1 to production"');

  say(`\n3. Execute (what \`peh run --trust-root ${workspace}\` does)`);
  const started = performance.now();
  const outcome = await new Orchestrator({
    store,
    runId,
    concurrency: availableParallelism(),
    wait: false,
    trustRoots: [workspace],
    progress: (line) => {
      if (line.kind !== "started") say(`   ${renderProgress(io, line)}`);
    },
  }).execute();

  const log = await store.read(runId);
  say(`\n4. The execution log (${log.length} events in ${join(placeOf(store).runDir(runId), "events.jsonl")})`);
  say("   (what `peh log` prints: time, event, the task and its place, what happened, the machine's move, the seq)");
  for (const entry of logEntries(log)) say(`   ${renderLogLine(io, entry)}`);

  const view = runView(log);
  const { succeeded, total } = view.progress;
  say(`\n5. Rebuilt from the log alone: plan ${view.plan.state}, ${succeeded}/${total} tasks succeeded in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  say(`   Per-attempt output: ${join(placeOf(store).runDir(runId), "attempts")}`);
  say(`   Look again: cd ${workspace} && npx --prefix ${process.cwd()} peh show`);
  if (outcome.kind !== "completed") process.exitCode = 1;

  if (!(await isolatedDemo(io, say, 6))) process.exitCode = 1;
}

await main();
