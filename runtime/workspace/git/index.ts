// The git plumbing of isolated work (DESIGN §11): thin wrappers over the git CLI, each a small
// step the machines decide and the log records. Nothing here decides whether a step is due.
export { git, gitLine, type GitCall, type GitResult } from "./exec.js";
export { commitEnv, detectRepo, resolveCommit, type GitRepo } from "./repo.js";
export { treeOf, treeOfFiles } from "./snapshot.js";
export { fastForwardRunBranch, onRunBranch, runBranch, runBranchHead, runBranchRef, startRunBranch, type FastForward, type RunBranchStart } from "./run-branch.js";
export { attemptWorkspaceRoot, createWorktree, isClean, removeWorktree, runWorktrees, type AttemptPlace } from "./worktree.js";
export { commitAttempt, taskCommitMessage } from "./commit.js";
export { checkoutWorktree, rebaseCommit, type Rebase } from "./merge.js";
export { archiveRef, archiveWorktree } from "./archive.js";
export { landRun, type Landing } from "./land.js";
export { makeRunBranchAt, replayCommit, reusedChain, type Replay, type ReusedChain } from "./replay.js";
