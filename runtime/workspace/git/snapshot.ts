// A tree object of a directory's files as they are on disk (tracked, and untracked unless
// ignored), built in a temporary index: the directory's own index is never read or written.
// The same trick as Cline's ref checkpoints (research/agent-workers.md §3).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git, gitLine } from "./exec.js";

export interface TreeOptions {
  /** The directory whose files are taken: the top of a checkout or of a worktree. */
  readonly dir: string;
  /** The commit whose tree the index starts from (so unchanged files cost nothing), or null. */
  readonly from: string | null;
  /** Paths relative to `dir` never taken (peh's store inside the workspace, when not ignored). */
  readonly exclude?: readonly string[];
}

/** The tree of `dir`'s files on disk, as `git add -A` would stage them, in a throwaway index. */
export async function treeOfFiles(options: TreeOptions): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), "peh-index-"));
  const env = { GIT_INDEX_FILE: join(scratch, "index") };
  try {
    const call = { cwd: options.dir, env };
    await git(options.from === null ? ["read-tree", "--empty"] : ["read-tree", options.from], call);
    // An ignored path named in a pathspec makes `git add` fail: only the others need excluding.
    const excluded: string[] = [];
    for (const path of options.exclude ?? []) {
      const ignored = await git(["check-ignore", "--quiet", "--", path], { cwd: options.dir, ok: [1] });
      if (ignored.code !== 0) excluded.push(`:(exclude,top)${path}`);
    }
    await git(["add", "-A", "--", ":/", ...excluded], call);
    return await gitLine(["write-tree"], call);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The tree a commit holds. */
export function treeOf(dir: string, commit: string): Promise<string> {
  return gitLine(["rev-parse", `${commit}^{tree}`], { cwd: dir });
}
