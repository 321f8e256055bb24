// Runs the `git` CLI: an argument vector, never a shell, in a directory, with an optional stdin
// and extra environment. Every git call of peh goes through here, so one place turns a failure
// into a PehError that quotes the command and git's own words.
import { execFile } from "node:child_process";
import { PehError } from "../../../events/index.js";

export interface GitCall {
  /** The directory git runs in (`-C`). */
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** Exit codes that are answers, not failures (`merge-tree` says 1 for "conflicts"). */
  readonly ok?: readonly number[];
}

export interface GitResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Large enough for `ls-files` of a big tree; git's output is read whole. */
const MAX_BUFFER = 256 * 1024 * 1024;

/**
 * Runs `git <args>` in `call.cwd`. Resolves with the output when git exits 0 (or with an exit code
 * listed in `call.ok`), else throws GIT_FAILED naming the command and git's message.
 *
 * @example
 *   const { stdout } = await git(["rev-parse", "HEAD"], { cwd: repo.top });
 */
export function git(args: readonly string[], call: GitCall): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      [...args],
      {
        cwd: call.cwd,
        // LC_ALL=C: git's messages are parsed in a few places (conflicts); hooks and pagers never run
        // for plumbing, and prompts would hang a run with nobody at the keyboard.
        env: { ...process.env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", ...call.env },
        maxBuffer: MAX_BUFFER,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        if (code === 0 || (code > 0 && call.ok?.includes(code))) return resolve({ stdout, stderr, code });
        const said = (stderr || stdout || (error?.message ?? "")).trim();
        reject(
          new PehError(
            "GIT_FAILED",
            `git ${args.join(" ")} failed in ${call.cwd} (exit ${code}): ${said}`,
            code === -1 ? "install git (Debian: apt-get install -y git) and put it on PATH" : "fix what git says above, then run the command again",
            { args, cwd: call.cwd, code, stderr },
          ),
        );
      },
    );
    if (call.input !== undefined) child.stdin?.end(call.input);
  });
}

/** `git …` that prints one value: its output without the final newline. */
export async function gitLine(args: readonly string[], call: GitCall): Promise<string> {
  return (await git(args, call)).stdout.replace(/\n$/, "");
}

