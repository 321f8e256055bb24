// How a task's commands run: its `shell`, else the plan's, else `sh`, as GitHub Actions' `shell:`
// (users know it). `sh` and `bash` stop at the first failing line; a template runs a file that
// holds the script, at `{0}`. Pure: the process runner writes the file and starts the argv.
import type { PlanFile, PlanTask } from "../../../events/index.js";

/** The shell of a task that names none, in a plan that names none. */
export const DEFAULT_SHELL = "sh";

export interface ShellCommand {
  /** The argv before the script: the script follows as one argument (`-c`), or fills `{0}`. */
  words: readonly string[];
  /** A template: the script goes in a file, whose path replaces `{0}` in `words`. */
  file: boolean;
  /** What ran, for the attempt log's echo line. */
  label: string;
}

const NAMED: ReadonlyMap<string, ShellCommand> = new Map([
  // `-c` rather than a file: no file to write per process, and `$0` stays what it always was.
  ["sh", { words: ["/bin/sh", "-e", "-c"], file: false, label: "/bin/sh -e" }],
  ["bash", { words: ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"], file: false, label: "bash --noprofile --norc -eo pipefail" }],
]);

/** The `shell` a task's processes run with: the task's, else the plan's, else the default. */
export function shellOf(plan: Pick<PlanFile, "shell"> | null | undefined, task: Pick<PlanTask, "shell">): string {
  return task.shell ?? plan?.shell ?? DEFAULT_SHELL;
}

/** `sh`, `bash` or a template (validated: see shellProblem) as what to start. */
export function shellCommand(shell: string = DEFAULT_SHELL): ShellCommand {
  const named = NAMED.get(shell);
  if (named) return named;
  // Words split at white space, as GitHub splits a custom shell: no quoting.
  const words = shell.trim().split(/\s+/);
  return { words, file: true, label: words.join(" ") };
}

/** The argument vector that runs `script`; `file` is where a template's script was written. */
export function shellArgv(shell: ShellCommand, script: string, file?: string): string[] {
  if (!shell.file) return [...shell.words, script];
  return shell.words.map((word) => word.replaceAll("{0}", file ?? ""));
}

/** Why `shell` cannot run a script (for validation), or undefined when it can. */
export function shellProblem(shell: string): string | undefined {
  if (NAMED.has(shell)) return undefined;
  const words = shell.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return "is empty";
  if (!shell.includes("{0}")) return "is neither sh nor bash, and a command line without {0} has nowhere to put the script";
  if (words[0]!.includes("{0}")) return "starts with {0}: the first word must be the program that runs the script";
  return undefined;
}
