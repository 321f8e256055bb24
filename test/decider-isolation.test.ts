// The decider for isolated work: each git step the runtime reports becomes its event, legal only
// where the machines allow it; a conflict is a merge_conflict failure whose recipe is one fresh
// attempt on the new head, then a human.
import { describe, expect, it } from "vitest";
import type { CommandInput } from "../machines/decider/commands.js";
import { AT, BOOTSTRAP, approve, create, finish, planFile, runTask, scheduleReady } from "./support/fixtures.js";
import { given } from "./support/decider-spec.js";

const BASE = "a".repeat(40);
const COMMIT = "b".repeat(40);
const HEAD = "c".repeat(40);
const REBASED = "d".repeat(40);
const plan = planFile({
  objective: "Edit two files in parallel",
  isolation: "worktree",
  tasks: [{ id: "edit", objective: "Edit a.txt", scope: "workspace", agent: "edit a.txt", acceptance_tests: ["true"] }],
});
const path = (attempt: number) => `/w/app/.git/peh-worktrees/r-test/edit-${attempt}`;
const branch: CommandInput = { type: "StartRunBranch", at: AT, branch: "peh/r-test", head: BASE, base: BASE, snapshot: false };
/** One attempt up to its passing acceptance tests, in its worktree, with its commit. */
const attempt = (n: number): CommandInput[] => {
  const [start, trust, running, exit, verify] = runTask("edit", n);
  return [
    start!,
    { type: "RecordWorktree", at: AT, task_id: "edit", path: path(n), base: BASE },
    trust!,
    running!,
    exit!,
    { ...(verify as Extract<CommandInput, { type: "RecordVerification" }>), commit: { base: BASE, commit: COMMIT } },
  ];
};
const setup = [create(plan), approve(1, []), ...BOOTSTRAP, branch, scheduleReady];
const conflict: CommandInput = { type: "RecordConflict", at: AT, task_id: "edit", onto: HEAD, files: ["a.txt"] };
const archive = (n: number): CommandInput[] => [
  { type: "RecordArchive", at: AT, task_id: "edit", ref: `refs/peh/r-test/edit/${n}`, commit: COMMIT },
  { type: "RecordWorktreeRemoved", at: AT, task_id: "edit", path: path(n) },
];
const classify: CommandInput = { type: "ClassifyFailure", at: AT, task_id: "edit", class: "merge_conflict", rule: "merge conflict", evidence: "conflicting files: a.txt" };
const recover: CommandInput = { type: "Recover", at: AT, task_id: "edit", evidence: "conflicting files: a.txt" };

describe("decider › isolated attempt", () => {
  it("commits when the checks pass, and completes only after the merge and the worktree's removal", () => {
    given(setup, attempt(1)).when({ type: "RecordRebase", at: AT, task_id: "edit", onto: HEAD, commit: REBASED }).thenTypes("TASK_REBASED");
    const merged = [{ type: "RecordRebase", at: AT, task_id: "edit", onto: HEAD, commit: REBASED }, { type: "RecordMerge", at: AT, task_id: "edit", onto: HEAD, commit: REBASED }] as CommandInput[];
    given(setup, attempt(1), merged)
      .when({ type: "RecordWorktreeRemoved", at: AT, task_id: "edit", path: path(1), evidence: [{ command: "true", exit_code: 0, duration_ms: 1 }] })
      .thenTypes("WORKTREE_REMOVED", "TASK_COMPLETED");
  });

  it("refuses a verification of an isolated attempt without its commit", () => {
    const steps = attempt(1);
    const { commit: _, ...bare } = steps.at(-1) as Extract<CommandInput, { type: "RecordVerification" }>;
    given(setup, steps.slice(0, -1)).when(bare).thenThrows("USAGE", /must carry the commit/);
  });

  it("refuses a merge before the commit was replayed onto the head", () => {
    given(setup, attempt(1)).when({ type: "RecordMerge", at: AT, task_id: "edit", onto: HEAD, commit: COMMIT }).thenThrows("ILLEGAL_TRANSITION", /TASK_MERGED/);
  });

  it("fails a merge whose re-run acceptance test fails on the rebased tree", () => {
    given(setup, attempt(1), [{ type: "RecordRebase", at: AT, task_id: "edit", onto: HEAD, commit: REBASED }])
      .when({ type: "RecordMerge", at: AT, task_id: "edit", onto: HEAD, commit: REBASED, evidence: [{ command: "npm test", exit_code: 1, duration_ms: 5 }] })
      .thenTypes("TASK_FAILED");
  });
});

describe("decider › merge conflict", () => {
  it("is a failure of the merge stage naming the files, classified only after the archive", () => {
    const failed = given(setup, attempt(1)).when(conflict).thenTypes("TASK_FAILED");
    expect(failed.events[0]!.data).toMatchObject({ stage: "merge", conflicts: ["a.txt"] });
    given(setup, attempt(1), [conflict]).when(classify).thenThrows("ILLEGAL_TRANSITION", /FAILURE_CLASSIFIED/);
    given(setup, attempt(1), [conflict], archive(1)).when(classify).thenTypes("FAILURE_CLASSIFIED");
  });

  it("is retried once at once on a fresh worktree, then waits for a human", () => {
    const first = given(setup, attempt(1), [conflict], archive(1), [classify]).when(recover).thenTypes("RECOVERY_ATTEMPTED");
    expect(first.events[0]!.data).toMatchObject({ next_attempt: 2, delay_ms: 0 });
    given(setup, attempt(1), [conflict], archive(1), [classify, recover], attempt(2), [conflict], archive(2), [classify])
      .when(recover)
      .thenTypes("RECOVERY_ESCALATION");
  });
});

describe("decider › an abort", () => {
  it("skips an interrupted isolated attempt, and ends the run, only once its worktree is archived and removed", () => {
    const [start, worktree, trust, running] = attempt(1);
    const interrupted: CommandInput[] = [start!, worktree!, trust!, running!, { type: "InterruptTask", at: AT, task_id: "edit", reason: "the run was cancelled" }];
    const cancel: CommandInput = { type: "CancelRun", at: AT, actor: "ana", reason: "moved to Monday" };
    given(setup, interrupted, [cancel]).when(finish).thenTypes();
    given(setup, interrupted, [cancel], archive(1)).when(finish).thenTypes("TASK_SKIPPED", "EXECUTION_COMPLETE");
  });
});

describe("decider › the run's branch", () => {
  it("is started once, while the plan executes, and landed once the run completed", () => {
    given(setup).when(branch).thenThrows("ILLEGAL_TRANSITION", /RUN_BRANCH_STARTED/);
    given([create(plan), approve(1, [])]).when(branch).thenThrows("ILLEGAL_TRANSITION", /RUN_BRANCH_STARTED/);
    given(setup).when({ type: "RecordLanding", at: AT, branch: "main", from: BASE, to: COMMIT }).thenThrows("ILLEGAL_TRANSITION", /RUN_LANDED/);
  });
});
