// A property of isolation: worktree over random DAGs: each task appends a line to its own file,
// naming what its dependencies' files held when it ran; the final tree of peh/<run> (tasks in
// parallel, each in its worktree, merged in completion order) equals the tree the same plan
// leaves in the workspace run one task at a time with isolation: none.
import { fc } from "@fast-check/vitest";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { Orchestrator } from "../../runtime/execution/orchestrator.js";
import { approveRun, createRun } from "../../runtime/gate/gate.js";
import { openStore } from "../../runtime/store/open.js";
import { gitIn } from "../support/git-repo.js";
import { tempDir } from "../support/temp-dir.js";

/** Tasks t0…t(n-1); each depends on a random subset of the ones before it (so the graph is a DAG). */
const dags = fc
  .integer({ min: 2, max: 5 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j)))))
  .map((deps) => deps.map((before, i) => ({ id: `t${i}`, depends_on: before.map((j) => `t${j}`) })));

type Dag = { id: string; depends_on: string[] }[];

function planOf(dag: Dag, isolation: "worktree" | "none"): string {
  return stringify({
    objective: "Append a line to each task's file",
    isolation,
    tasks: dag.map(({ id, depends_on }) => ({
      id,
      objective: `Append to ${id}.txt`,
      scope: "workspace",
      depends_on,
      // What its dependencies' files hold is in its line: a dependent that ran without their
      // merged work (a wrong base) writes another line than the sequential run does.
      run: `echo "${id} saw: $(cat ${[...depends_on.map((d) => `${d}.txt`), "/dev/null"].join(" ")} | tr '\\n' ' ')" >> ${id}.txt`,
      acceptance_tests: [`grep -q '^${id} saw' ${id}.txt`],
    })),
  });
}

/** A fresh repository holding one line in every task's file; returns its path. */
async function repoFor(dir: string, name: string, dag: Dag): Promise<string> {
  const top = join(dir, name);
  await mkdir(top);
  await writeFile(join(top, ".gitignore"), ".peh/\nplan.yaml\n");
  for (const { id } of dag) await writeFile(join(top, `${id}.txt`), `${id} begins\n`);
  gitIn(top, "init", "--quiet", "--initial-branch=main");
  gitIn(top, "add", "-A");
  gitIn(top, "commit", "--quiet", "-m", "initial");
  return top;
}

async function runPlan(top: string, dag: Dag, isolation: "worktree" | "none", concurrency: number): Promise<string> {
  await writeFile(join(top, "plan.yaml"), planOf(dag, isolation));
  const store = openStore({ cwd: top });
  const { run_id } = await createRun(store, { workspace: top, from: "plan.yaml" });
  await approveRun(store, run_id, { actor: "ana", confirmations: [] });
  const outcome = await new Orchestrator({ store, runId: run_id, concurrency, wait: false, trustRoots: [top], sandbox: "off", progress: () => undefined }).execute();
  expect(outcome.kind).toBe("completed");
  return run_id;
}

describe("isolation: worktree over random DAGs", () => {
  // Few, small DAGs: each case is two real runs with a dozen git processes per task.
  it("leaves on peh/<run> the tree a sequential run with isolation: none leaves in the workspace", { timeout: 240_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(dags, async (dag) => {
        const dir = await tempDir("peh-prop-");
        try {
          const isolated = await repoFor(dir.path, "isolated", dag);
          const sequential = await repoFor(dir.path, "sequential", dag);
          const runId = await runPlan(isolated, dag, "worktree", 3);
          await runPlan(sequential, dag, "none", 1);
          gitIn(sequential, "add", "-A");
          const expected = gitIn(sequential, "write-tree");
          const got = gitIn(isolated, "rev-parse", `peh/${runId}^{tree}`);
          if (got !== expected) expect(gitIn(isolated, "diff", expected, got)).toBe("");
          expect(got).toBe(expected);
          // One commit per task on the branch, and nothing of the user's moved.
          expect(gitIn(isolated, "rev-list", "--count", `main..peh/${runId}`)).toBe(String(dag.length));
          expect(gitIn(isolated, "status", "--porcelain")).toBe("");
        } finally {
          // Retried: the last run's own bookkeeping (its pids journal) may still be landing.
          await rm(dir.path, { recursive: true, force: true, maxRetries: 5 });
        }
      }),
      { numRuns: 4 },
    );
  });
});
