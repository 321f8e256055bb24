// A real git repository in a temp dir for the git plumbing tests, and a fingerprint of everything
// of the user's that peh must never touch: HEAD, the current branch's commit, the index file's
// bytes and every file of the working tree (bytes and mode), `.git` itself aside.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { tempDir } from "./temp-dir.js";

export interface TestRepo {
  readonly top: string;
  git(...args: string[]): string;
  write(name: string, text: string): Promise<void>;
  read(name: string): Promise<string>;
  commitAll(message: string): string;
  /** A hash of the user's HEAD, branch, index and working files. */
  fingerprint(): Promise<string>;
  remove(): Promise<void>;
}

const ENV = { ...process.env, GIT_AUTHOR_NAME: "U", GIT_AUTHOR_EMAIL: "u@example.com", GIT_COMMITTER_NAME: "U", GIT_COMMITTER_EMAIL: "u@example.com", LC_ALL: "C" };

export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: ENV, encoding: "utf8" }).replace(/\n$/, "");
}

export async function testRepo(files: Record<string, string> = { "README.md": "hello\n" }): Promise<TestRepo> {
  const dir = await tempDir("peh-git-");
  const top = join(dir.path, "repo");
  await mkdir(top);
  const run = (...args: string[]) => gitIn(top, ...args);
  run("init", "--quiet", "--initial-branch=main");
  run("config", "user.name", "User");
  run("config", "user.email", "user@example.com");
  const write = async (name: string, text: string) => {
    await mkdir(dirname(join(top, name)), { recursive: true });
    await writeFile(join(top, name), text);
  };
  for (const [name, text] of Object.entries(files)) await write(name, text);
  run("add", "-A");
  run("commit", "--quiet", "-m", "initial");
  return {
    top,
    git: run,
    write,
    read: (name) => readFile(join(top, name), "utf8"),
    commitAll(message) {
      run("add", "-A");
      run("commit", "--quiet", "-m", message);
      return run("rev-parse", "HEAD");
    },
    fingerprint: () => fingerprint(top),
    remove: dir.remove,
  };
}

/** `skip`: top-level names left out (peh's own store, which a run writes by design). */
export async function fingerprint(top: string, skip: readonly string[] = []): Promise<string> {
  const hash = createHash("sha256");
  const gitDir = join(top, ".git");
  hash.update(await readFile(join(gitDir, "HEAD")));
  const head = (await readFile(join(gitDir, "HEAD"), "utf8")).trim();
  if (head.startsWith("ref: ")) hash.update(gitIn(top, "rev-parse", "--verify", "--quiet", head.slice(5)) || "unborn");
  hash.update(await readFile(join(gitDir, "index")).catch(() => Buffer.from("no index")));
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (path === gitDir || (dir === top && skip.includes(entry.name))) continue;
      hash.update(`\0${path.slice(top.length)}\0${(await stat(path)).mode}\0`);
      if (entry.isDirectory()) await walk(path);
      else hash.update(await readFile(path));
    }
  };
  await walk(top);
  return hash.digest("hex");
}
