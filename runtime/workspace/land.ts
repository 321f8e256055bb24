// `peh land [RUN]`: a completed run's branch brought into the user's current branch, when that is
// a fast-forward (git's own `merge --ff-only`), and logged (RUN_LANDED); otherwise it says exactly
// what to run. Only the user asks for this: peh never moves their branch on its own.
import { PehError, type EventStore, type RunId } from "../../events/index.js";
import { stateName } from "../../machines/fold/state-name.js";
import { RunHandle } from "../command-handler.js";
import { now } from "../execution/clock.js";
import { detectRepo, landRun, type Landing } from "./git/index.js";

export async function landCompletedRun(store: EventStore, runId: RunId, actor: string): Promise<Extract<Landing, { landed: true }>> {
  const run = await RunHandle.open(store, runId);
  const plan = stateName(run.state.plan.value);
  const branch = run.state.plan.context.run_branch ?? null;
  if (branch === null) {
    throw new PehError("USAGE", `run ${runId} has no branch to land: none of its tasks ran with isolation: worktree`, "its changes are in your workspace already");
  }
  if (plan !== "completed") {
    throw new PehError("USAGE", `run ${runId} is ${plan}, not completed: only a completed run's branch ${branch} is landed`, `finish it first (\`peh status ${runId}\`), or look at it yourself: git log --oneline ${branch}`);
  }
  const repo = await detectRepo(run.state.workspace ?? process.cwd());
  if (repo === null) throw new PehError("USAGE", `the workspace of run ${runId} (${run.state.workspace}) is no longer a git repository`, "run peh land in the repository the run was planned in");
  const landing = await landRun(repo, runId);
  if (!landing.landed) throw new PehError("GIT_FAILED", `${branch} was not landed: ${landing.reason}`, `run: ${landing.command}`);
  if (!landing.already) await run.handle({ type: "RecordLanding", at: now(), actor, branch: landing.branch, from: landing.from, to: landing.to });
  return landing;
}
