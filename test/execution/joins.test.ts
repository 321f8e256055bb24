// A task that joins several branches starts once the last of them ends, however their ends fall
// into appends: a task's end readies its dependents in the same append as the end itself, so a
// scheduling turn can see a join still pending and drop it before the append that readies it is
// decided. The join must be visited again (it once was not: "cannot go on … deploy: ready").
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { approveRun, createRun } from "../../runtime/gate/gate.js";
import { Orchestrator } from "../../runtime/execution/orchestrator.js";
import { tempDir } from "../support/temp-dir.js";

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => (dir = await tempDir()));
afterEach(async () => dir.remove());

/** build → six parallel checks → deploy (joins them) → announce. */
function diamond() {
  const checks = ["unit", "lint", "types", "audit", "docs", "size"];
  return {
    objective: "Release with many checks",
    tasks: [
      { id: "build", objective: "Build", scope: "workspace", run: "echo built > build.txt" },
      ...checks.map((id) => ({ id, objective: `Check ${id}`, scope: "workspace", depends_on: ["build"], run: `echo ${id} > ${id}.txt` })),
      { id: "deploy", objective: "Deploy", scope: "workspace", depends_on: checks, run: "echo deployed > deploy.txt" },
      { id: "announce", objective: "Announce", scope: "workspace", depends_on: ["deploy"], run: "echo told > announce.txt" },
    ],
  };
}

describe("the scheduler › joins", () => {
  it("starts every join once its last dependency ends, run after run", async () => {
    for (let round = 0; round < 8; round++) {
      const workspace = join(dir.path, `w${round}`);
      await mkdir(workspace, { recursive: true });
      await writeFile(join(workspace, "plan.json"), JSON.stringify(diamond()));
      const store = new LowdbEventStore(join(workspace, ".peh"));
      const created = await createRun(store, { workspace, from: join(workspace, "plan.json") });
      await approveRun(store, created.run_id, { actor: "ana", confirmations: [] });
      const outcome = await new Orchestrator({ store, runId: created.run_id, concurrency: 8, wait: false, trustRoots: [workspace], sandbox: "off", progress: () => undefined }).execute();
      expect(outcome.kind, `round ${round}`).toBe("completed");
      const events = await store.read(created.run_id);
      const started = events.filter((e) => e.type === "TASK_STARTED").map((e) => (e.data as { task_id: string }).task_id);
      expect(started.slice(-2), `round ${round}`).toEqual(["deploy", "announce"]);
      await store.close();
    }
  });
});
