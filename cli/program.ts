// The `peh` command line: every command of DESIGN §7, parsed by commander. Commands are thin:
// options → one runtime or projection call → render. Nothing here calls process.exit.
import { Command } from "commander";
import type { Io } from "./output.js";

type Register = (program: Command, io: Io) => void;

/**
 * Every command, in the order --help lists them, with the module that defines it. A command's
 * module is loaded only when that command runs (all of them for the full --help): peh's start-up
 * pays for what one command needs, not for the planner, the orchestrator and the services.
 */
const COMMANDS: [names: string[], load: () => Promise<Register[]>][] = [
  [["plan"], async () => [(await import("./commands/plan.js")).planCommand]],
  [["show"], async () => [(await import("./commands/show.js")).showCommand]],
  [["approve", "modify", "refine", "clarify", "reject"], async () => {
    const gate = await import("./commands/gate-actions.js");
    return [gate.approveCommand, gate.modifyCommand, gate.refineCommand, gate.clarifyCommand, gate.rejectCommand];
  }],
  [["run"], async () => [(await import("./commands/run.js")).runCommand]],
  [["worker"], async () => [(await import("./commands/worker.js")).workerCommand]],
  [["decide", "trust"], async () => {
    const decide = await import("./commands/decide.js");
    return [decide.decideCommand, decide.trustCommand];
  }],
  [["cancel"], async () => [(await import("./commands/cancel.js")).cancelCommand]],
  [["land"], async () => [(await import("./commands/land.js")).landCommand]],
  [["status", "runs"], async () => [(await import("./commands/status.js")).statusCommand]],
  [["log"], async () => [(await import("./commands/log.js")).logCommand]],
  [["output"], async () => [(await import("./commands/output.js")).outputCommand]],
  [["replay", "report"], async () => {
    const history = await import("./commands/history.js");
    return [history.replayCommand, history.reportCommand];
  }],
  [["rerun", "fork"], async () => {
    const lineage = await import("./commands/lineage.js");
    return [lineage.rerunCommand, lineage.forkCommand];
  }],
  [["inspect"], async () => [(await import("./commands/inspect.js")).inspectCommand]],
  [["serve"], async () => [(await import("./commands/serve.js")).serveCommand]],
  [["graph"], async () => [(await import("./commands/graph.js")).graphCommand]],
  [["ui", "export"], async () => {
    const ui = await import("./commands/ui.js");
    return [ui.uiCommand, ui.exportCommand];
  }],
];

/** The command `argv` names: its first word that is not an option or the value of --store. */
function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--store") i++;
    else if (!word.startsWith("-")) return word;
  }
  return undefined;
}

export const VERSION = "0.1.0";

const STORE_FLAGS = "--store <dir|url>";
const STORE_HELP =
  "the event store: a directory, or a PostgreSQL server shared by hosts (postgres://USER@HOST:PORT/DB, or " +
  "`postgres` for the PG* variables) (default: $PEH_STORE, else the nearest .peh here or above, else ./.peh)";

/** The program for `argv` (node, script, arguments): only the command it names, or every one. */
export async function buildProgram(io: Io, argv: readonly string[] = []): Promise<Command> {
  const program = new Command("peh")
    .description(
      "peh, the planning-execution harness: turn a goal into a reviewed plan of tasks, gate it behind " +
        "an explicit human approval, run it with state-machine workers, and record every change in an " +
        "event log from which everything else is rebuilt.",
    )
    .version(VERSION)
    .option(STORE_FLAGS, STORE_HELP)
    // peh's own options only before the command: after it, `approve --version N` is the plan's
    // version, not peh's (which printed 0.1.0 and approved nothing, exit 0).
    .enablePositionalOptions()
    .showHelpAfterError("(run `peh --help` for the commands, `peh <command> --help` for one)")
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) })
    .addHelpText(
      "after",
      "\nExit codes: 0 done, 1 the run failed or was aborted, 2 bad input or usage,\n" +
        "            3 waiting for a human (the message says what to type), 4 conflict with another writer,\n" +
        "            5 the store is damaged (a log peh cannot trust: the message names the file and seq),\n" +
        "              unreachable, or made by a newer peh.",
    )
    .exitOverride();
  const named = commandNamed(argv);
  const needed = COMMANDS.filter(([names]) => names.includes(named ?? ""));
  // No command, or one peh does not know: all of them, for the full help and commander's suggestion.
  for (const [, load] of needed.length > 0 ? needed : COMMANDS) for (const register of await load()) register(program, io);
  // --store works after the command too, as it did before options were positional.
  for (const command of program.commands) {
    command.option(STORE_FLAGS, STORE_HELP).exitOverride();
    // commander's help does not mark a required option: say it, or `--help` hides what is needed.
    for (const option of command.options) if (option.mandatory && !option.description.endsWith("(required)")) option.description += " (required)";
  }
  return program;
}
