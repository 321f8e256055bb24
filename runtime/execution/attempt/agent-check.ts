// Before a run starts attempts: every agent task that may still run needs an agent command (its
// own `run`, else --agent-command, $PEH_AGENT_COMMAND or agent.command in the config), and that
// command's program must exist, on PATH or as a path. Found at run time, a missing agent failed
// the task and was classified `unknown`; found here, nothing starts and the message says the fix.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { PehError, type PlanTask } from "../../../events/index.js";

export interface AgentProblem {
  task_id: string;
  problem: string;
}

/** Shell words that run something else or are syntax: whether the program exists cannot be told. */
const SHELL_WORDS = new Set(["exec", "command", "builtin", "eval", "time", "nohup", "if", "for", "while", "until", "case", "{", "(", "!", "[", "[[", "cd", ".", "source"]);

/**
 * The program a shell command line starts, or undefined when that cannot be told from its text
 * (it starts with shell syntax or a builtin): `FOO=1 claude -p` → `claude`, `'my agent' -x` →
 * `my agent`.
 */
export function programOf(command: string): string | undefined {
  let rest = command.trimStart();
  // Leading assignments (`FOO=1 BAR="a b" claude`) set the environment of the program that follows.
  for (let match; (match = /^[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|'[^']*'|\S*)\s+/.exec(rest)); ) rest = rest.slice(match[0].length);
  const quoted = /^(["'])(.*?)\1/.exec(rest);
  const word = quoted ? quoted[2]! : /^[^\s;&|<>()]+/.exec(rest)?.[0];
  if (!word || SHELL_WORDS.has(word) || /[$`*?~]/.test(word)) return undefined;
  return word;
}

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** Why `program` would not start from `cwd` with this PATH, or undefined if it would. */
function whyMissing(program: string, cwd: string, path: string | undefined): string | undefined {
  if (program.includes("/")) {
    // A task's directory that does not exist yet fails its attempt with its own clear error.
    if (!isAbsolute(program) && !isDirectory(cwd)) return undefined;
    const file = isAbsolute(program) ? program : resolve(cwd, program);
    return executable(file) ? undefined : `${file} is not an executable file`;
  }
  const dirs = (path ?? "").split(delimiter).filter(Boolean);
  return dirs.some((dir) => executable(join(dir, program))) ? undefined : `"${program}" is not on PATH`;
}

/** What keeps each agent task of `tasks` from starting: no agent command, or a program not found. */
export function agentProblems(
  tasks: readonly PlanTask[],
  agentCommand: string | undefined,
  env: NodeJS.ProcessEnv,
  cwdOf: (task: PlanTask) => string,
  /** The command line a task's agent runs (an agent CLI's adapter adds its arguments). */
  commandOf: (task: PlanTask) => string | undefined = (task) => task.run ?? agentCommand,
): AgentProblem[] {
  const problems: AgentProblem[] = [];
  for (const task of tasks) {
    if (task.agent === undefined) continue;
    const command = commandOf(task);
    if (command === undefined) {
      problems.push({ task_id: task.id, problem: "no agent command" });
      continue;
    }
    const program = programOf(command);
    const why = program === undefined ? undefined : whyMissing(program, cwdOf(task), env.PATH);
    if (why) problems.push({ task_id: task.id, problem: `its agent command "${command}" cannot start: ${why}` });
  }
  return problems;
}

/** Throws a USAGE error naming every agent task that could not start, and the fix; nothing is recorded. */
export function requireAgentCommands(runId: string, problems: readonly AgentProblem[]): void {
  if (problems.length === 0) return;
  const list = problems.map((p) => `${p.task_id} (${p.problem})`).join("; ");
  throw new PehError(
    "USAGE",
    `${problems.length === 1 ? "an agent task" : `${problems.length} agent tasks`} of run ${runId} cannot start: ${list}; nothing was started`,
    `give an agent command that exists: peh run ${runId} --agent-command "claude -p" (or set $PEH_AGENT_COMMAND, or agent.command in your config), or a task's own run`,
    { problems },
  );
}
