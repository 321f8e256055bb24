// The demo's part on isolated work (`npm run demo`, after the release plan): a fresh temporary git
// repository, a plan of two agent tasks (examples/fake-agent.mjs stands in for a real agent) with
// `isolation: worktree`, run in parallel, each in its own worktree under the sandbox (where bwrap
// works; elsewhere it runs unsandboxed and says so), committed and merged onto peh/<run>; then
// `git log --oneline peh/<run>` and `peh land`.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { isPehError } from "../events/index.js";
import { approveRun, createRun } from "../runtime/gate/gate.js";
import { Orchestrator } from "../runtime/execution/orchestrator.js";
import { openStore } from "../runtime/store/open.js";
import { git, gitLine } from "../runtime/workspace/git/index.js";
import { landCompletedRun } from "../runtime/workspace/land.js";
import type { Io } from "./output.js";
import { renderProgress } from "./render/progress.js";

const fakeAgent = fileURLToPath(new URL("../../examples/fake-agent.mjs", import.meta.url));
const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

const PLAN = `objective: Two agents edit one repository at once, each in its own worktree
isolation: worktree
tasks:
  - id: usage
    objective: Write the usage notes
    scope: workspace
    agent: "append USAGE.md Plan with peh plan, then run it with peh run."
    acceptance_tests: ["grep -q 'peh run' USAGE.md"]
  - id: changelog
    objective: Add the release to the changelog
    scope: workspace
    agent: "append CHANGELOG.md - 2.4.1: isolated work in git worktrees"
    acceptance_tests: ["grep -q 2.4.1 CHANGELOG.md"]
`;

/** Returns false when the part could not run here (no git): the demo says why and goes on. */
export async function isolatedDemo(io: Io, say: (text?: string) => void, step: number): Promise<boolean> {
  say(`\n${step}. Isolated work: two agent tasks in parallel, each in its own git worktree, one commit per task`);
  const repo = await mkdtemp(join(tmpdir(), "peh-demo-git-"));
  const identity = ["-c", "user.name=peh demo", "-c", "user.email=demo@peh.invalid"];
  try {
    await git(["init", "--quiet", "--initial-branch=main"], { cwd: repo });
  } catch (error) {
    if (!isPehError(error, "GIT_FAILED")) throw error;
    say(`   skipped: ${error.message}`);
    return false;
  }
  await writeFile(join(repo, ".gitignore"), ".peh/\nplan.yaml\n");
  await writeFile(join(repo, "CHANGELOG.md"), "# Changelog\n\n- 2.4.0: the approval gate\n");
  await writeFile(join(repo, "plan.yaml"), PLAN);
  await git(["add", "-A"], { cwd: repo });
  await git([...identity, "commit", "--quiet", "-m", "Start the project"], { cwd: repo });
  say(`   a fresh git repository ${repo} (branch main, one commit); the agent: examples/fake-agent.mjs`);

  const store = openStore({ cwd: repo });
  const { run_id: runId } = await createRun(store, { workspace: repo, from: "plan.yaml" });
  await approveRun(store, runId, { actor: "demo", confirmations: [] });
  say(`   planned and approved run ${runId} (isolation: worktree); executing with concurrency 2 and the sandbox on auto`);
  const outcome = await new Orchestrator({
    store,
    runId,
    concurrency: 2,
    wait: false,
    trustRoots: [repo],
    agentCommand: `node ${quoted(fakeAgent)}`,
    progress: (line) => {
      if (line.kind === "started") say(`   ▸ ${line.task} started`);
      else say(`   ${renderProgress(io, line)}`);
    },
  }).execute();

  // Where each attempt worked, and what it could write, as the log recorded them.
  const log = await store.read(runId);
  for (const event of log) {
    if (event.type !== "WORKTREE_CREATED") continue;
    const { task_id, attempt, path, base } = event.data;
    const running = log.find((e) => e.type === "WORKER_RUNNING" && e.data.worker_id === `${task_id}#${attempt}`);
    const sandbox = running?.type === "WORKER_RUNNING" ? running.data.sandbox : undefined;
    const confined = sandbox?.sandboxed
      ? "sandboxed by bwrap: it could write only there (and its own /tmp)"
      : "NOT sandboxed (the sandbox note above says why)";
    say(`   ${task_id}: worked in ${relative(repo, path)} (from ${base.slice(0, 10)}), ${confined}`);
  }
  if (outcome.kind !== "completed") {
    say(`   the run ended ${outcome.kind}: see \`cd ${repo} && npx --prefix ${process.cwd()} peh status\``);
    return false;
  }
  say(`\n   git log --oneline peh/${runId}`);
  for (const line of (await gitLine(["log", "--oneline", `peh/${runId}`], { cwd: repo })).split("\n")) say(`     ${line}`);
  say(`   main is untouched: ${await gitLine(["log", "--oneline", "-1", "main"], { cwd: repo })}`);

  const landed = await landCompletedRun(store, runId, "demo");
  say(`\n   peh land --as demo: main ${landed.from.slice(0, 10)} → ${landed.to.slice(0, 10)} (a fast-forward, logged as RUN_LANDED)`);
  say(`   main now: ${(await gitLine(["log", "--oneline", "main"], { cwd: repo })).split("\n").join(" · ")}`);
  const worktrees = (await gitLine(["worktree", "list"], { cwd: repo })).split("\n").length;
  say(`   worktrees left: ${worktrees - 1} (only your checkout); look again: cd ${repo} && git log --stat`);
  return true;
}
