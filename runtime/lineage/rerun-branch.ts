// A rerun's branch under worktree isolation (DESIGN §11, §15; issue 22): where `peh/<rerun>`
// starts, so that the tasks that run afresh see exactly what the reused ones left.
//
// The rule: the branch starts at the source's base (where the source's branch started, not the
// user's HEAD now: the reused commits were made on it) and holds each reused task's commit once,
// in the order they are on the source's branch. While no task that runs afresh came before it
// there, a reused commit is taken as it is (the same commit: a redrive from the failed task keeps
// the source's history exactly); after the first one that runs afresh, each later reused commit
// is replayed onto the branch (its own change, a new commit with the same message and author).
// A reused commit that does not apply without the change of a task that runs afresh (a conflict)
// is not reused: `peh rerun` makes it run afresh too, and what builds on it, and says so.
// Interleaving cannot reorder dependencies: every reused task's dependencies are reused too, and
// a dependent lands on the source's branch after what it depends on.
import { PehError, type EventStore, type PehEvent, type ReusedCommit, type RunId, type TaskId } from "../../events/index.js";
import type { RunState } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { branchHistoryOf } from "../../projections/git-work.js";
import { detectRepo, makeRunBranchAt, resolveCommit, reusedChain, type GitRepo } from "../workspace/git/index.js";

export interface RerunBranchStart {
  readonly branch: string;
  /** The user's HEAD now, or null in a repository with no commit. */
  readonly head: string | null;
  /** The source's base: where its branch started. */
  readonly base: string;
  readonly snapshot: false;
  readonly reused: ReusedCommit[];
}

/** The source's commits of `reused`, in its branch's order; null when the source had no branch. */
function sourceCommits(sourceLog: readonly PehEvent[], reused: ReadonlySet<TaskId>) {
  const history = branchHistoryOf(sourceLog);
  return history && { base: history.base, commits: history.commits.filter((c) => reused.has(c.task_id)) };
}

/**
 * At `peh rerun`: the reused tasks whose commits cannot be stacked (a conflict) taken out, with
 * `narrow` recomputing what stays reusable (what builds on one taken out runs afresh too). Returns
 * the tasks taken out, each with the files that conflicted. Nothing is done without a source branch.
 */
export async function fitReuseToBranch(
  sourceLog: readonly PehEvent[],
  workspace: string,
  reusable: ReadonlySet<TaskId>,
  narrow: (without: ReadonlySet<TaskId>) => ReadonlySet<TaskId>,
): Promise<{ reusable: ReadonlySet<TaskId>; conflicts: { task_id: TaskId; files: readonly string[] }[] }> {
  const conflicts: { task_id: TaskId; files: readonly string[] }[] = [];
  let current = reusable;
  const planned = sourceCommits(sourceLog, current);
  if (planned === null || planned.commits.length === 0) return { reusable: current, conflicts };
  const repo = await detectRepo(workspace);
  if (repo === null) return { reusable: current, conflicts };
  for (;;) {
    const { base, commits } = sourceCommits(sourceLog, current)!;
    const chain = await reusedChain(repo, base, commits);
    if (chain.ok) return { reusable: current, conflicts };
    conflicts.push({ task_id: chain.task_id, files: chain.files });
    current = narrow(new Set(conflicts.map((c) => c.task_id)));
  }
}

/**
 * At the run's start: `peh/<rerun>` made from the source's base and the reused tasks' commits,
 * unless it exists already at that very head (a crash before it was recorded). Null when the run
 * is not a rerun, or its source had no branch: its branch starts as any run's does.
 */
export async function startRerunBranch(store: EventStore, state: RunState, repo: GitRepo): Promise<RerunBranchStart | null> {
  if (state.lineage?.kind !== "rerun" || state.run_id === null) return null;
  const reused = new Set<TaskId>();
  for (const [id, cell] of state.tasks) {
    const name = stateName(cell.value);
    if (cell.context.reusable && (name === "pending" || name === "reused")) reused.add(id);
  }
  const planned = sourceCommits(await store.read(state.lineage.source_run as RunId), reused);
  if (planned === null) return null;
  const chain = await reusedChain(repo, planned.base, planned.commits);
  if (!chain.ok) {
    throw new PehError(
      "GIT_FAILED",
      `the reused commit of task ${chain.task_id} no longer applies on the rerun's branch (conflict in ${chain.files.join(", ")}); nothing was moved`,
      `make the rerun again from that task: peh rerun ${state.lineage.source_run} --from ${chain.task_id}`,
    );
  }
  const branch = await makeRunBranchAt(repo, state.run_id, chain.head);
  return { branch, head: await resolveCommit(repo, "HEAD"), base: planned.base, snapshot: false, reused: chain.reused };
}
