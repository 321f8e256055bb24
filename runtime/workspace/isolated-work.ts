// The runtime of isolation: worktree (DESIGN §11): the run's branch, each attempt's worktree,
// the task's commit, the serial merge queue, the archive of a failed attempt. Every git step is
// taken, then reported as a command the machines decide; what is due next is read from the task
// machine's worktree phase, so a resumed run finishes exactly the step a crash cut short.
import { join, relative } from "node:path";
import { PehError, type CheckEvidence, type EventStore, type PehEvent, type PlanTask, type RunId, type TaskId } from "../../events/index.js";
import type { CommandInput } from "../../machines/decider/commands.js";
import type { RunState } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { startRerunBranch } from "../lineage/rerun-branch.js";
import { placeOf } from "../store/place.js";
import {
  archiveRef,
  archiveWorktree,
  attemptWorkspaceRoot,
  checkoutWorktree,
  commitAttempt,
  createWorktree,
  detectRepo,
  fastForwardRunBranch,
  gitLine,
  rebaseCommit,
  removeWorktree,
  onRunBranch,
  runBranchHead,
  runBranchRef,
  startRunBranch,
  taskCommitMessage,
  type GitRepo,
} from "./git/index.js";

/** What isolated work needs from the run that executes it. */
export interface IsolationHost {
  readonly options: { readonly store: EventStore; readonly runId: RunId };
  readonly state: RunState;
  command(command: CommandInput): Promise<void>;
  note(text: string): void;
}

/** The end of a merge: on the branch, or a failure recorded (a conflict, a check failing on the rebased tree). */
export type MergeEnd = { merged: true } | { merged: false; conflicts?: string[] };

export class IsolatedWork {
  private repo: GitRepo | null = null;
  /** The serial merge queue: each task's merge starts when the one before it has ended. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The plan version whose isolation was looked at (a change mid-run may make a task isolated). */
  private checkedVersion = -1;

  constructor(private readonly host: IsolationHost) {}

  private get runId(): RunId {
    return this.host.options.runId;
  }

  /** Whether the task's attempts work in worktrees (the task machine knows its isolation). */
  isolated(id: TaskId): boolean {
    return this.host.state.tasks.get(id)?.context.isolated ?? false;
  }

  private anyIsolated(): boolean {
    for (const cell of this.host.state.tasks.values()) if (cell.context.isolated) return true;
    return false;
  }

  private async gitRepo(): Promise<GitRepo> {
    if (this.repo) return this.repo;
    const workspace = this.host.state.workspace ?? process.cwd();
    const repo = await detectRepo(workspace);
    if (repo === null) {
      throw new PehError("PLAN_INVALID", `the plan asks for isolation: worktree, and ${workspace} is not in a git repository`, "run `git init` and commit your files, or set isolation: none");
    }
    return (this.repo = repo);
  }

  /**
   * THE root an isolated attempt works in, and the path the sandbox binds writable: its worktree.
   * Undefined for a task that is not isolated, or before its worktree is known (the workspace).
   */
  workspaceRoot(task: Pick<PlanTask, "id">, attempt: number): string | undefined {
    if (!this.isolated(task.id) || this.repo === null) return undefined;
    return attemptWorkspaceRoot(this.repo, { runId: this.runId, taskId: task.id, attempt });
  }

  /** Where a command of the attempt starts: `cwd` (inside the workspace) moved into the worktree. */
  cwdFor(task: Pick<PlanTask, "id">, attempt: number, cwd: string): string | undefined {
    const root = this.workspaceRoot(task, attempt);
    if (root === undefined) return undefined;
    return join(root, relative(this.repo!.top, cwd));
  }

  /**
   * Once, before the first isolated attempt: `peh/<run>` from the user's HEAD (RUN_BRANCH_STARTED),
   * or a rerun's from its source's base and reused commits (runtime/lineage/rerun-branch.ts).
   */
  async ensureRunBranch(): Promise<void> {
    const version = this.host.state.plan_spec?.version ?? 0;
    if (this.checkedVersion === version) return;
    if (!this.anyIsolated()) {
      this.checkedVersion = version;
      return;
    }
    const repo = await this.gitRepo();
    this.checkedVersion = version;
    if (this.host.state.plan.context.run_branch) return;
    // A rerun of a run that had a branch starts from its source's commits of the reused tasks.
    const rerun = await startRerunBranch(this.host.options.store, this.host.state, repo);
    if (rerun !== null) {
      await this.host.command({ type: "StartRunBranch", at: new Date().toISOString(), ...rerun });
      const kept = rerun.reused.length === 0 ? "none of the reused tasks had a commit" : `with the reused commits of ${rerun.reused.map((r) => r.task_id).join(", ")}`;
      this.host.note(`${rerun.branch} starts where the source's branch started (${rerun.base.slice(0, 10)}), ${kept}`);
      return;
    }
    const store = relative(repo.top, placeOf(this.host.options.store).where);
    const exclude = store.startsWith("..") || store === "" ? [] : [store];
    const start = await startRunBranch(repo, { runId: this.runId, at: this.host.state.at ?? new Date().toISOString(), exclude });
    await this.host.command({ type: "StartRunBranch", at: new Date().toISOString(), ...start });
    if (start.snapshot) this.host.note(`uncommitted changes in ${repo.top} were taken into the first commit of ${start.branch} (your files, index and branch are untouched)`);
  }

  private worktree(id: TaskId) {
    const context = this.host.state.tasks.get(id)!.context;
    return context.worktree !== null && context.worktree.attempt === context.attempt ? context.worktree : null;
  }

  /** The attempt's worktree from the branch head, made and recorded unless it already is. */
  async prepare(task: PlanTask): Promise<void> {
    if (!this.isolated(task.id) || this.worktree(task.id) !== null) return;
    const repo = await this.gitRepo();
    const attempt = this.host.state.tasks.get(task.id)!.context.attempt;
    const base = await runBranchHead(repo, this.runId);
    if (base === null) throw new PehError("GIT_FAILED", `the run's branch ${runBranchRef(this.runId)} is missing`, "it was deleted outside peh; `git branch` lists the branches");
    const path = attemptWorkspaceRoot(repo, { runId: this.runId, taskId: task.id, attempt });
    await createWorktree(repo, path, base);
    await this.host.command({ type: "RecordWorktree", at: new Date().toISOString(), task_id: task.id, path, base });
  }

  /** The task's one commit, once its checks passed: what its verification carries. */
  async commit(task: PlanTask): Promise<{ base: string; commit: string } | undefined> {
    if (!this.isolated(task.id)) return undefined;
    const repo = await this.gitRepo();
    const attempt = this.host.state.tasks.get(task.id)!.context.attempt;
    const place = { runId: this.runId, taskId: task.id, attempt };
    const base = await this.recorded(task.id, "WORKTREE_CREATED", (e) => e.data.base);
    const commit = await commitAttempt(repo, { worktree: attemptWorkspaceRoot(repo, place), base, message: taskCommitMessage(task.objective, place), at: new Date().toISOString() });
    return { base, commit };
  }

  /** The last event of `type` about this task's current attempt, read from the log. */
  private async recorded<T extends PehEvent["type"], R>(id: TaskId, type: T, pick: (event: Extract<PehEvent, { type: T }>) => R): Promise<R> {
    const attempt = this.host.state.tasks.get(id)!.context.attempt;
    const log = await this.host.options.store.read(this.runId);
    const found = log.findLast((e) => e.type === type && "task_id" in e.data && e.data.task_id === id && "attempt" in e.data && e.data.attempt === attempt);
    if (found === undefined) throw new PehError("STORE_CORRUPT", `task ${id} attempt ${attempt} has no ${type} in the log`);
    return pick(found as Extract<PehEvent, { type: T }>);
  }

  /**
   * Brings the task's commit onto `peh/<run>` through the serial queue: rebase onto the head
   * (recorded before the branch moves), the checks again on the rebased tree when the head had
   * moved (`recheck` runs them in the worktree), fast-forward with a compare-and-swap, remove the
   * worktree. Resumes from the recorded phase. A conflict is recorded as the attempt's failure.
   */
  merge(task: PlanTask, recheck: () => Promise<CheckEvidence[]>): Promise<MergeEnd> {
    const turn = this.queue.then(() => this.mergeNow(task, recheck));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async mergeNow(task: PlanTask, recheck: () => Promise<CheckEvidence[]>): Promise<MergeEnd> {
    const repo = await this.gitRepo();
    const id = task.id;
    const attempt = this.host.state.tasks.get(id)!.context.attempt;
    const path = attemptWorkspaceRoot(repo, { runId: this.runId, taskId: id, attempt });
    const committed = await this.recorded(id, "TASK_COMMITTED", (e) => ({ ...e.data, at: e.at }));
    for (;;) {
      const phase = this.worktree(id)?.phase;
      if (phase === "committed" || phase === "rebased") {
        const head = (await runBranchHead(repo, this.runId))!;
        const last = phase === "rebased" ? await this.recorded(id, "TASK_REBASED", (e) => e.data) : undefined;
        let target = last?.onto === head ? last.commit : undefined;
        if (last !== undefined && last.commit === head) target = head; // moved before a crash: only the record is missing
        else if (last !== undefined && target === undefined && (await onRunBranch(repo, this.runId, last.commit))) {
          // Moved before a crash, and another task's commit merged on top since: only the record is
          // missing. Replaying it again would put the task's change on the branch twice.
          await this.host.command({ type: "RecordMerge", at: new Date().toISOString(), task_id: id, onto: last.onto, commit: last.commit, evidence: [] });
          if (this.worktree(id)?.phase !== "merged") return { merged: false };
          continue;
        }
        if (target === undefined) {
          const rebased = await rebaseCommit(repo, committed.commit, head, committed.at);
          if (!rebased.ok) {
            await this.host.command({ type: "RecordConflict", at: new Date().toISOString(), task_id: id, onto: head, files: [...rebased.files] });
            return { merged: false, conflicts: [...rebased.files] };
          }
          await this.host.command({ type: "RecordRebase", at: new Date().toISOString(), task_id: id, onto: head, commit: rebased.commit });
          continue;
        }
        const onto = last!.onto;
        let evidence: CheckEvidence[] = [];
        if (target !== committed.commit) {
          // The head moved since the attempt's base: its checks run again on the tree to be merged.
          if ((await gitLine(["rev-parse", "HEAD"], { cwd: path })) !== target) await checkoutWorktree(path, target);
          evidence = await recheck();
        }
        if (evidence.every((check) => check.exit_code === 0)) {
          const moved = await fastForwardRunBranch(repo, this.runId, onto, target);
          // Someone moved the branch meanwhile: the next turn replays onto the new head.
          if (!moved.moved) continue;
        }
        await this.host.command({ type: "RecordMerge", at: new Date().toISOString(), task_id: id, onto, commit: target, evidence });
        if (this.worktree(id)?.phase !== "merged") return { merged: false };
        continue;
      }
      if (phase === "merged") {
        await removeWorktree(repo, path, runBranchRef(this.runId));
        await this.host.command({ type: "RecordWorktreeRemoved", at: new Date().toISOString(), task_id: id, path, evidence: committed.evidence, duration_ms: committed.duration_ms });
        return { merged: true };
      }
      return { merged: this.host.state.tasks.get(id)!.context.worktree?.merged ?? false };
    }
  }

  /**
   * A failed or interrupted attempt's worktree kept under its archive ref, then removed: before
   * its failure is classified, or its task started again. Nothing to do when it is settled.
   */
  async settle(task: PlanTask): Promise<void> {
    if (this.isolated(task.id)) await this.sweepUnrecorded(task);
    const worktree = this.worktree(task.id);
    if (worktree === null || worktree.phase === "removed" || worktree.phase === "merged") return;
    const repo = await this.gitRepo();
    const place = { runId: this.runId, taskId: task.id, attempt: worktree.attempt };
    const path = attemptWorkspaceRoot(repo, place);
    if (worktree.phase !== "archived") {
      const commit = await archiveWorktree(repo, path, place, new Date().toISOString());
      await this.host.command({ type: "RecordArchive", at: new Date().toISOString(), task_id: task.id, ref: archiveRef(place), commit });
      this.host.note(`${task.id}: attempt ${place.attempt}'s work is kept as ${archiveRef(place)}`);
    }
    await removeWorktree(repo, path, archiveRef(place));
    await this.host.command({ type: "RecordWorktreeRemoved", at: new Date().toISOString(), task_id: task.id, path });
  }

  /**
   * While the plan aborts, once nothing of this peh runs: each interrupted task's worktree archived
   * and removed (the abort skips an interrupted task only once its worktree is settled: the task
   * machine's rule), so the run ends with no worktree left and every attempt's work kept. A merge
   * a crash cut short is finished when its commit is on the branch (`finishMerge` removes the
   * worktree); before that it is interrupted, and its commit archived like any interrupted work.
   */
  async settleForAbort(finishMerge: (task: PlanTask) => Promise<unknown>): Promise<void> {
    for (const task of this.host.state.plan_spec?.tasks ?? []) {
      const cell = this.host.state.tasks.get(task.id);
      const state = cell ? stateName(cell.value) : undefined;
      if (state === "merging" && this.worktree(task.id)?.phase === "merged") await finishMerge(task);
      else if (state === "merging") await this.host.command({ type: "InterruptTask", at: new Date().toISOString(), task_id: task.id, reason: "the run was aborted before its commit was merged" });
      if (cell && stateName(this.host.state.tasks.get(task.id)!.value) === "interrupted") await this.settle(task);
    }
  }

  /**
   * A worktree made for the current attempt whose WORKTREE_CREATED a crash kept from the log:
   * nothing ran in it (commands start only after the record), so it holds its base, which the
   * run's branch keeps; it is removed (never forced: git refuses if it holds anything).
   */
  private async sweepUnrecorded(task: PlanTask): Promise<void> {
    const context = this.host.state.tasks.get(task.id)!.context;
    if (context.attempt === 0 || context.worktree?.attempt === context.attempt) return;
    const repo = await this.gitRepo();
    const path = attemptWorkspaceRoot(repo, { runId: this.runId, taskId: task.id, attempt: context.attempt });
    await removeWorktree(repo, path, runBranchRef(this.runId));
  }
}
