// Crash at the event boundaries of a run of two parallel isolated tasks (SIGKILL `peh run` right
// after a seq, PEH_CRASH_AFTER_SEQ; resume): the same end as the uninterrupted run, each task's
// commit exactly once on peh/<run>, no worktree left, and every attempt's work on the branch or
// under its archive ref. Bounded: every git step's boundary and a sample of the others; full: all.
// And a run cancelled while an isolated task runs, crashed at every boundary after the cancel:
// aborted, with the task's worktree archived and removed; and a run crashed mid-merge, then
// cancelled: its commit on the branch once, or archived.
import { existsSync } from "node:fs";
import { cp, mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runOutcome } from "../support/crash.js";
import { gitIn } from "../support/git-repo.js";
import { sandboxOff } from "../support/sandbox.js";
import { workspace, type Workspace } from "../support/workspace.js";
import { FULL, summary } from "./scale.js";

const agent = `node ${join(dirname(fileURLToPath(import.meta.url)), "../../examples/fake-agent.mjs")}`;
const GIT_STEPS = new Set(["RUN_BRANCH_STARTED", "WORKTREE_CREATED", "TASK_COMMITTED", "TASK_REBASED", "TASK_MERGED", "WORKTREE_ARCHIVED", "WORKTREE_REMOVED"]);

function runToEnd(ws: Workspace, crashAfter?: number): void {
  for (let round = 0; round < 6; round++) {
    if (crashAfter !== undefined && round === 0) ws.env.PEH_CRASH_AFTER_SEQ = String(crashAfter);
    else delete ws.env.PEH_CRASH_AFTER_SEQ;
    const result = ws.peh("run", "--trust-root", ".", "--concurrency", "2", "--agent-command", agent);
    if (result.code === null) continue;
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return;
  }
  throw new Error("the run did not end in 6 rounds");
}

async function expectIsolatedEnd(ws: Workspace, seq: number): Promise<void> {
  const end = await runOutcome(ws, "effects.txt");
  const why = `crash after seq ${seq}`;
  expect({ state: end.state, tasks: end.tasks }, why).toEqual({ state: "completed", tasks: { left: "succeeded", right: "succeeded" } });
  const [runId] = await readdir(join(ws.path, ".peh", "runs"));
  const branch = `peh/${runId}`;
  const tasks = gitIn(ws.path, "log", "--format=%(trailers:key=Peh-Task,valueonly)", `main..${branch}`).split("\n").filter(Boolean).sort();
  expect(tasks, why).toEqual(["left", "right"]);
  expect(gitIn(ws.path, "show", `${branch}:b.txt`), why).toBe("left");
  expect(gitIn(ws.path, "show", `${branch}:c.txt`), why).toBe("right");
  expect(gitIn(ws.path, "worktree", "list", "--porcelain").split("\n").filter((line) => line.startsWith("worktree ")), why).toHaveLength(1);
  expect(await readdir(join(ws.path, ".git", "peh-worktrees", runId!)).catch(() => []), why).toEqual([]);
  // No attempt's work lost: each worktree made is merged, or archived under a ref that exists.
  for (const made of end.log.filter((e) => e.type === "WORKTREE_CREATED")) {
    const { task_id, attempt } = made.data as { task_id: string; attempt: number };
    const kept = end.log.find((e) => (e.type === "TASK_MERGED" || e.type === "WORKTREE_ARCHIVED") && (e.data as { task_id: string }).task_id === task_id && (e.data as { attempt: number }).attempt === attempt);
    expect(kept, `${why}: ${task_id}#${attempt}`).toBeDefined();
    if (kept?.type === "WORKTREE_ARCHIVED") expect(gitIn(ws.path, "rev-parse", kept.data.ref), why).toBe(kept.data.commit);
  }
  expect(end.log.map((e) => e.seq)).toEqual(end.log.map((_, i) => i + 1));
}

/** Runs the plan, cancels it once its agent made its edit; then resumes until `peh run` says it ended. */
async function cancelToEnd(ws: Workspace, signals: string, crashAfter?: number): Promise<void> {
  const started = ws.start(["run", "--trust-root", ".", "--agent-command", agent], crashAfter === undefined ? {} : { PEH_CRASH_AFTER_SEQ: String(crashAfter) });
  // The agent made its half-done edit and waits: its signal file says so (polled, as a file is).
  while (!existsSync(join(signals, "long"))) await new Promise((resolve) => setTimeout(resolve, 20));
  const cancel = ws.peh("cancel", "--as", "ana");
  expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0);
  const code = await started.exit;
  if (code === 1) return;
  expect(code, `crash after seq ${crashAfter}`).toBe(137);
  for (let round = 0; round < 3; round++) {
    const result = ws.peh("run", "--trust-root", ".", "--agent-command", agent);
    if (result.code === 1) return;
    expect(result.code, result.stdout + result.stderr).toBeNull();
  }
  throw new Error("the cancelled run did not end in 3 rounds");
}

/** Aborted, the task skipped, its half-done edit under its archive ref, no worktree left. */
async function expectCancelledEnd(ws: Workspace, seq: number): Promise<void> {
  const end = await runOutcome(ws, "effects.txt");
  const why = `crash after seq ${seq}`;
  expect({ state: end.state, tasks: end.tasks }, why).toEqual({ state: "aborted", tasks: { long: "skipped", after: "skipped" } });
  const [runId] = await readdir(join(ws.path, ".peh", "runs"));
  expect(gitIn(ws.path, "show", `refs/peh/${runId}/long/1:half.txt`), why).toBe("half-done");
  expect(end.log.filter((e) => e.type === "WORKTREE_ARCHIVED"), why).toHaveLength(1);
  expect(gitIn(ws.path, "worktree", "list", "--porcelain").split("\n").filter((line) => line.startsWith("worktree ")), why).toHaveLength(1);
  expect(await readdir(join(ws.path, ".git", "peh-worktrees", runId!)).catch(() => []), why).toEqual([]);
  expect(end.log.map((e) => e.seq)).toEqual(end.log.map((_, i) => i + 1));
}

describe("torture › crash at the boundaries of isolated work", () => {
  it("resumes to the same end: each task's commit once on the branch, no worktree left, nothing lost", { timeout: 3_600_000 }, async () => {
    const ws = await workspace();
    // Its tasks meet through signal files outside any scope, and its crashes kill peh from outside: no sandbox.
    await sandboxOff(ws);
    const template = `${ws.path}-template`;
    const signals = join(dirname(ws.path), "signals");
    const reset = async () => {
      await rm(ws.path, { recursive: true, force: true });
      await rm(signals, { recursive: true, force: true });
      await mkdir(signals);
      await cp(template, ws.path, { recursive: true });
    };
    try {
      await ws.write(".gitignore", ".peh/\nplan.yaml\neffects.txt\n");
      await ws.write("a.txt", "a\n");
      gitIn(ws.path, "init", "--quiet", "--initial-branch=main");
      gitIn(ws.path, "add", "-A");
      gitIn(ws.path, "-c", "user.name=u", "-c", "user.email=u@example.com", "commit", "--quiet", "-m", "initial");
      await ws.write("plan.yaml", [
        "objective: Edit two files in parallel under crashes",
        "isolation: worktree",
        "tasks:",
        `  - { id: left, objective: Write b.txt, scope: workspace, agent: "touch ${signals}/left; wait ${signals}/right; set b.txt 1 left", acceptance_tests: ["grep -q left b.txt"] }`,
        `  - { id: right, objective: Write c.txt, scope: workspace, agent: "touch ${signals}/right; wait ${signals}/left; set c.txt 1 right", acceptance_tests: ["grep -q right c.txt"] }`,
      ].join("\n"));
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      await cp(ws.path, template, { recursive: true });
      await reset();
      runToEnd(ws);
      const reference = await runOutcome(ws, "effects.txt");
      await expectIsolatedEnd(ws, 0);
      const last = reference.log.length - 1;
      const every = FULL ? 1 : Math.ceil(last / 6);
      const boundaries = reference.log.map((e) => e.seq).filter((seq) => seq > 3 && seq <= last && (FULL || GIT_STEPS.has(reference.log[seq - 1]!.type) || seq % every === 0));
      for (const seq of boundaries) {
        await reset();
        runToEnd(ws, seq);
        await expectIsolatedEnd(ws, seq);
      }
      summary(`isolated-work crash boundaries: ${boundaries.length} of ${last - 3} (${FULL ? "full" : "bounded"}), each the same end`);
    } finally {
      await rm(template, { recursive: true, force: true });
      await ws.remove();
    }
  });
  it("ends a run cancelled while an isolated task runs with its worktree archived and removed, however a crash cuts it", { timeout: 3_600_000 }, async () => {
    const ws = await workspace();
    await sandboxOff(ws);
    const template = `${ws.path}-template`;
    const signals = join(dirname(ws.path), "signals");
    const reset = async () => {
      await rm(ws.path, { recursive: true, force: true });
      await rm(signals, { recursive: true, force: true });
      await mkdir(signals);
      await cp(template, ws.path, { recursive: true });
    };
    try {
      await ws.write(".gitignore", ".peh/\nplan.yaml\neffects.txt\n");
      await ws.write("a.txt", "a\n");
      gitIn(ws.path, "init", "--quiet", "--initial-branch=main");
      gitIn(ws.path, "add", "-A");
      gitIn(ws.path, "-c", "user.name=u", "-c", "user.email=u@example.com", "commit", "--quiet", "-m", "initial");
      await ws.write("plan.yaml", [
        "objective: Cancel an isolated task mid-edit under crashes",
        "isolation: worktree",
        "tasks:",
        `  - { id: long, objective: Edit half.txt, scope: workspace, agent: "append half.txt half-done; touch ${signals}/long; wait ${signals}/never", acceptance_tests: ["true"] }`,
        "  - { id: after, objective: Edit after.txt, scope: workspace, depends_on: [long], agent: \"append after.txt done\", acceptance_tests: [\"true\"] }",
      ].join("\n"));
      const planned = ws.peh("plan", "--from", "plan.yaml");
      expect(planned.code, planned.stdout + planned.stderr).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      await cp(ws.path, template, { recursive: true });
      await reset();
      await cancelToEnd(ws, signals);
      await expectCancelledEnd(ws, 0);
      const reference = await runOutcome(ws, "effects.txt");
      // Every boundary the cancelled peh run appends after the cancel: the interruption, the
      // archive, the removal, the skips.
      const cancelled = reference.log.find((e) => e.type === "RUN_CANCELLED")!.seq;
      const boundaries = reference.log.map((e) => e.seq).filter((seq) => seq > cancelled && seq < reference.log.length);
      for (const seq of boundaries) {
        await reset();
        await cancelToEnd(ws, signals, seq);
        await expectCancelledEnd(ws, seq);
      }
      summary(`cancelled isolated-work crash boundaries: ${boundaries.length}, each the same end`);
    } finally {
      await rm(template, { recursive: true, force: true });
      await ws.remove();
    }
  });
  it("ends a run crashed mid-merge and then cancelled: the commit on the branch or archived, no worktree left", { timeout: 3_600_000 }, async () => {
    const ws = await workspace();
    await sandboxOff(ws);
    const template = `${ws.path}-template`;
    const reset = async () => {
      await rm(ws.path, { recursive: true, force: true });
      await cp(template, ws.path, { recursive: true });
    };
    try {
      await ws.write(".gitignore", ".peh/\nplan.yaml\neffects.txt\n");
      await ws.write("a.txt", "a\n");
      gitIn(ws.path, "init", "--quiet", "--initial-branch=main");
      gitIn(ws.path, "add", "-A");
      gitIn(ws.path, "-c", "user.name=u", "-c", "user.email=u@example.com", "commit", "--quiet", "-m", "initial");
      await ws.write("plan.yaml", "objective: Edit b.txt\nisolation: worktree\ntasks:\n  - { id: edit, objective: Write b.txt, scope: workspace, agent: \"append b.txt edited\", acceptance_tests: [\"grep -q edited b.txt\"] }\n");
      expect(ws.peh("plan", "--from", "plan.yaml").code).toBe(0);
      expect(ws.peh("approve", "--as", "ana").code).toBe(0);
      await cp(ws.path, template, { recursive: true });
      await reset();
      runToEnd(ws);
      const reference = await runOutcome(ws, "effects.txt");
      const merging = reference.log.filter((e) => e.type === "TASK_COMMITTED" || e.type === "TASK_REBASED" || e.type === "TASK_MERGED").map((e) => e.seq);
      expect(merging).toHaveLength(3);
      for (const seq of merging) {
        await reset();
        ws.env.PEH_CRASH_AFTER_SEQ = String(seq);
        expect(ws.peh("run", "--trust-root", ".", "--agent-command", agent).code, `crash after seq ${seq}`).toBeNull();
        delete ws.env.PEH_CRASH_AFTER_SEQ;
        const cancel = ws.peh("cancel", "--as", "ana");
        expect(cancel.code, cancel.stdout + cancel.stderr).toBe(0);
        const end = await runOutcome(ws, "effects.txt");
        const why = `crash after seq ${seq}, then peh cancel`;
        expect(end.state, why).toBe("aborted");
        const [runId] = await readdir(join(ws.path, ".peh", "runs"));
        expect(await readdir(join(ws.path, ".git", "peh-worktrees", runId!)).catch(() => []), why).toEqual([]);
        const kept = end.log.find((e) => e.type === "TASK_MERGED" || e.type === "WORKTREE_ARCHIVED");
        if (kept?.type === "WORKTREE_ARCHIVED") expect(gitIn(ws.path, "show", `${kept.data.ref}:b.txt`), why).toBe("edited");
        else expect(gitIn(ws.path, "show", `peh/${runId}:b.txt`), why).toBe("edited");
        // Once on the branch when merged (never twice), not at all when archived instead.
        expect(gitIn(ws.path, "rev-list", "--count", `main..peh/${runId}`), why).toBe(kept?.type === "TASK_MERGED" ? "1" : "0");
        expect(end.log.map((e) => e.seq)).toEqual(end.log.map((_, i) => i + 1));
      }
      summary(`crashed mid-merge, then cancelled: ${merging.length} boundaries, each ended with nothing lost`);
    } finally {
      await rm(template, { recursive: true, force: true });
      await ws.remove();
    }
  });
});
