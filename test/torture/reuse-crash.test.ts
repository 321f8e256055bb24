// Crash at the boundaries of a rerun's reuse (issue 22): a release whose deploy failed, rerun from
// deploy, its reused tasks (a diamond) taken over by TASK_REUSED. SIGKILL `peh run` right after
// each seq of the rerun (PEH_CRASH_AFTER_SEQ), and tear the write of the TASK_REUSED append at
// bytes between and inside its events; resume until it ends. Every time: the uninterrupted
// rerun's end, each reused task recorded reused exactly once, its side effect zero times, the log
// gapless. With worktree isolation too: the branch started once (RUN_BRANCH_STARTED), holding each
// reused commit once under the fresh ones. Bounded: every boundary up to the first fresh task's
// start and a sample after; full: every seq and every byte of the torn append.
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PehEventSchema, type PehEvent } from "../../events/index.js";
import { sealAppend } from "../../events/seal.js";
import { runView } from "../../projections/run-view.js";
import { gitIn } from "../support/git-repo.js";
import { sandboxOff } from "../support/sandbox.js";
import { workspace } from "../support/workspace.js";
import { FULL, summary } from "./scale.js";

const agent = `node ${join(dirname(fileURLToPath(import.meta.url)), "../../examples/fake-agent.mjs")}`;
const REUSED = ["build", "unit", "lint", "package"];

/** The release: a diamond, then deploy (failing until `deploy-ok` exists), then notify. */
function plan(isolated: boolean, outside: string): string {
  const step = (id: string, deps: string[], extra = "") =>
    isolated
      ? `  - { id: ${id}, objective: Do ${id}, scope: workspace, agent: "${extra}append ${outside}/effects ${id}; append ${id}.txt ${id}", acceptance_tests: ["true"], depends_on: [${deps.join(", ")}] }`
      : `  - { id: ${id}, objective: Do ${id}, scope: workspace, run: '${extra}echo ${id} >> ${outside}/effects', depends_on: [${deps.join(", ")}] }`;
  const gate = isolated ? `fail-once ${outside}/deploy-failed-once; ` : `test -f ${outside}/deploy-ok && `;
  return [
    "objective: Release, redriven under crashes",
    ...(isolated ? ["isolation: worktree"] : []),
    "recovery: { logic_error: { action: abort }, unknown: { action: abort } }",
    "tasks:",
    step("build", []),
    step("unit", ["build"]),
    step("lint", ["build"]),
    step("package", ["unit", "lint"]),
    step("deploy", ["package"], gate),
    step("notify", ["deploy"]),
  ].join("\n");
}

interface End {
  state: string;
  tasks: Record<string, string>;
  effects: string[];
  log: PehEvent[];
}

describe.each([{ isolated: false }, { isolated: true }])("torture › crash at the boundaries of a rerun's reuse (isolation: $isolated)", ({ isolated }) => {
  it("resumes to the same end: each reused task recorded once, run zero times", { timeout: 3_600_000 }, async () => {
    const ws = await workspace();
    // The tasks write their side effects outside any scope, and crashes kill peh from outside: no sandbox.
    await sandboxOff(ws);
    const outside = join(dirname(ws.path), "outside");
    const saved = `${ws.path}-saved`;
    const savedOutside = `${outside}-saved`;
    const save = async (to: string, toOutside: string) => {
      await rm(to, { recursive: true, force: true });
      await rm(toOutside, { recursive: true, force: true });
      await cp(ws.path, to, { recursive: true });
      await cp(outside, toOutside, { recursive: true });
    };
    const restore = async (from: string, fromOutside: string) => {
      await rm(ws.path, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
      await cp(from, ws.path, { recursive: true });
      await cp(fromOutside, outside, { recursive: true });
    };
    const args = ["--trust-root", ".", "--concurrency", "1", ...(isolated ? ["--agent-command", agent] : [])];
    let rerunId = "";
    const end = async (): Promise<End> => {
      const log = (await ws.read(`.peh/runs/${rerunId}/events.jsonl`)).trimEnd().split("\n").map((line) => PehEventSchema.parse(JSON.parse(line)));
      const view = runView(log);
      const effects = (await readFile(join(outside, "effects"), "utf8").catch(() => "")).trim().split("\n").filter(Boolean).sort();
      return { state: view.plan.state, tasks: Object.fromEntries(view.tasks.map((t) => [t.id, t.state])), effects, log };
    };
    const runToEnd = (crashAfter?: number): boolean => {
      let crashed = false;
      for (let round = 0; round < 6; round++) {
        if (crashAfter !== undefined && round === 0) ws.env.PEH_CRASH_AFTER_SEQ = String(crashAfter);
        else delete ws.env.PEH_CRASH_AFTER_SEQ;
        const result = ws.peh("run", rerunId, ...args);
        if (result.code === null) {
          crashed = true;
          continue;
        }
        expect(result.code, result.stdout + result.stderr).toBe(0);
        return crashed;
      }
      throw new Error("the rerun did not end in 6 rounds");
    };
    const expectSameEnd = async (expected: End, why: string) => {
      const after = await end();
      expect({ state: after.state, tasks: after.tasks, effects: after.effects }, why).toEqual({ state: expected.state, tasks: expected.tasks, effects: expected.effects });
      const reused = after.log.filter((e) => e.type === "TASK_REUSED").map((e) => (e.data as { task_id: string }).task_id).sort();
      expect(reused, `${why}: each reused task recorded once`).toEqual([...REUSED].sort());
      expect(after.log.map((e) => e.seq), why).toEqual(after.log.map((_, i) => i + 1));
      if (!isolated) return;
      expect(after.log.filter((e) => e.type === "RUN_BRANCH_STARTED"), why).toHaveLength(1);
      const tasks = gitIn(ws.path, "log", "--format=%(trailers:key=Peh-Task,valueonly,separator=)", `main..peh/${rerunId}`).split("\n").filter(Boolean);
      expect(tasks.slice(0, 2), why).toEqual(["notify", "deploy"]);
      expect(tasks.slice(2).sort(), why).toEqual([...REUSED].sort());
      expect(gitIn(ws.path, "worktree", "list", "--porcelain").split("\n").filter((line) => line.startsWith("worktree ")), why).toHaveLength(1);
    };
    try {
      await mkdir(outside);
      await ws.write("plan.yaml", plan(isolated, outside));
      if (isolated) {
        await ws.write(".gitignore", ".peh/\nplan.yaml\n");
        gitIn(ws.path, "init", "--quiet", "--initial-branch=main");
        gitIn(ws.path, "add", "-A");
        gitIn(ws.path, "commit", "--quiet", "-m", "initial");
      }
      // The source: build, unit, lint and package succeed; deploy fails and the release is aborted.
      expect(ws.peh("run", "--from", "plan.yaml", "--approve-as", "ana", ...args).code).toBe(1);
      const [source] = await readdir(join(ws.path, ".peh", "runs"));
      await writeFile(join(outside, "deploy-ok"), "");
      await rm(join(outside, "effects"));
      const made = ws.peh("rerun", source!, "--from", "deploy", "--json");
      expect(made.code, made.stderr).toBe(0);
      rerunId = (JSON.parse(made.stdout) as { run_id: string }).run_id;
      expect(ws.peh("approve", rerunId, "--as", "ana").code).toBe(0);
      await save(saved, savedOutside);

      runToEnd();
      const expected = await end();
      expect(expected.state).toBe("completed");
      expect(expected.effects).toEqual(["deploy", "notify"]);
      await expectSameEnd(expected, "uninterrupted");
      // As stored: each line carries `end`, the seq its append ends at.
      const raw = (await readFile(join(ws.path, ".peh", "runs", rerunId, "events.jsonl"), "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line) as { seq: number; end: number; type: string });
      const last = expected.log.length - 1;
      const first = raw.find((e) => e.type === "TASK_REUSED")!.seq;
      const batch = raw.filter((e) => e.end === raw[first - 1]!.end);
      expect(batch.filter((e) => e.type === "TASK_REUSED").length, "the reused tasks are taken over in one append").toBe(REUSED.length);
      // From the event before the reuse (the branch's start, under isolation) to the first fresh start: all; then a sample.
      const from = (raw.find((e) => e.type === "RUN_BRANCH_STARTED")?.seq ?? first) - 1;
      const firstStart = raw.find((e) => e.type === "TASK_STARTED")!.seq;
      const every = FULL ? 1 : Math.ceil((last - firstStart) / 3);
      // Events 1-3 are the plan and its approval; the rerun's `peh run` appends the rest.
      const boundaries = raw.map((e) => e.seq).filter((seq) => seq > 3 && seq <= last && (FULL || (seq >= from && seq <= firstStart) || seq % every === 0));
      for (const seq of boundaries) {
        await restore(saved, savedOutside);
        expect(runToEnd(seq), `no crash after seq ${seq}`).toBe(true);
        await expectSameEnd(expected, `crash after seq ${seq}`);
      }

      // The reuse append torn: crash right before it, then leave part of it at the log's end.
      await restore(saved, savedOutside);
      ws.env.PEH_CRASH_AFTER_SEQ = String(first - 1);
      expect(ws.peh("run", rerunId, ...args).code).toBeNull();
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      const crashed = `${ws.path}-crashed`;
      const crashedOutside = `${outside}-crashed`;
      await save(crashed, crashedOutside);
      const logFile = join(ws.path, ".peh", "runs", rerunId, "events.jsonl");
      const intact = await readFile(logFile);
      const chain = (JSON.parse(intact.toString("utf8").trimEnd().split("\n").at(-1)!) as { hash: string }).hash;
      const torn = Buffer.from(sealAppend(chain, batch.map((e) => PehEventSchema.parse(e))).lines.join("\n") + "\n");
      const newlines = [...torn.entries()].filter(([, byte]) => byte === 0x0a).map(([i]) => i).slice(0, -1);
      const cuts = FULL
        ? Array.from({ length: torn.length - 1 }, (_, i) => i + 1)
        : [...new Set([1, ...newlines.flatMap((n) => [n, n + 1]), Math.round(torn.length / 2), torn.length - 1])];
      for (const cut of cuts) {
        await restore(crashed, crashedOutside);
        await writeFile(logFile, Buffer.concat([intact, torn.subarray(0, cut)]));
        runToEnd();
        await expectSameEnd(expected, `the reuse append (seqs ${first}-${batch.at(-1)!.seq}) torn after byte ${cut}`);
      }
      await rm(crashed, { recursive: true, force: true });
      await rm(crashedOutside, { recursive: true, force: true });
      summary(`rerun reuse crash boundaries (isolation: ${isolated}): ${boundaries.length} of ${last - 3} seqs and ${cuts.length} torn writes of the reuse append, each the same end with each reused task recorded once`);
    } finally {
      delete ws.env.PEH_CRASH_AFTER_SEQ;
      await rm(saved, { recursive: true, force: true });
      await rm(savedOutside, { recursive: true, force: true });
      await ws.remove();
    }
  });
});
