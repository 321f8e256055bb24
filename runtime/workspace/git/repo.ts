// Which git repository a workspace is, if any, and who peh's commits are by. Reads only.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { git, gitLine } from "./exec.js";

export interface GitRepo {
  /** The top of the user's working tree: where their checkout is. */
  readonly top: string;
  /** The repository's common git directory (`.git` of the main checkout), absolute. */
  readonly commonDir: string;
  /** Author and committer of peh's commits: the user's `user.name`/`user.email`, else peh's own. */
  readonly identity: { readonly name: string; readonly email: string };
}

/** Whether `dir` is inside a git working tree (false without git): for planning, which is synchronous. */
export function inGitRepository(dir: string): boolean {
  try {
    return execFileSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() === "true";
  } catch {
    return false;
  }
}

const PEH_IDENTITY = { name: "peh", email: "peh@localhost" } as const;

/**
 * The git repository `dir` is inside, or null when it is in none (git not found counts as none
 * only when git says so: a missing git binary throws GIT_FAILED with the install hint).
 */
export async function detectRepo(dir: string): Promise<GitRepo | null> {
  const probe = await git(["rev-parse", "--is-inside-work-tree"], { cwd: dir, ok: [128] });
  if (probe.code !== 0 || probe.stdout.trim() !== "true") return null;
  const [top, commonDir] = (await gitLine(["rev-parse", "--show-toplevel", "--git-common-dir"], { cwd: dir })).split("\n");
  const config = await git(["config", "--get-regexp", "^user\\.(name|email)$"], { cwd: dir, ok: [1] });
  const found = new Map(
    config.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)] as const),
  );
  return {
    top: top!,
    commonDir: resolve(top!, commonDir!),
    identity: { name: found.get("user.name") ?? PEH_IDENTITY.name, email: found.get("user.email") ?? PEH_IDENTITY.email },
  };
}

/**
 * The environment of a commit peh makes: its identity and, when given, a fixed date, so that a
 * commit made again from the same inputs after a crash has the same name (the merge is idempotent
 * by commit name, not by luck).
 */
export function commitEnv(repo: GitRepo, at?: string): Record<string, string> {
  const env: Record<string, string> = {
    GIT_AUTHOR_NAME: repo.identity.name,
    GIT_AUTHOR_EMAIL: repo.identity.email,
    GIT_COMMITTER_NAME: repo.identity.name,
    GIT_COMMITTER_EMAIL: repo.identity.email,
  };
  if (at !== undefined) {
    env.GIT_AUTHOR_DATE = at;
    env.GIT_COMMITTER_DATE = at;
  }
  return env;
}

/** The commit a revision names, or null when it names none. */
export async function resolveCommit(repo: GitRepo, rev: string): Promise<string | null> {
  const found = await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd: repo.top, ok: [1, 128] });
  return found.code === 0 ? found.stdout.trim() : null;
}
