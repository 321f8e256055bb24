// The `peh` command line: every command of DESIGN §7, parsed by commander. Commands are thin:
// options → one runtime or projection call → render. Nothing here calls process.exit.
import { Command } from "commander";
import { decideCommand, trustCommand } from "./commands/decide.js";
import { approveCommand, clarifyCommand, modifyCommand, refineCommand, rejectCommand } from "./commands/gate-actions.js";
import { graphCommand } from "./commands/graph.js";
import { planCommand } from "./commands/plan.js";
import { runCommand } from "./commands/run.js";
import { showCommand } from "./commands/show.js";
import { statusCommand } from "./commands/status.js";
import { logCommand } from "./commands/log.js";
import { replayCommand, reportCommand } from "./commands/history.js";
import { inspectCommand } from "./commands/inspect.js";
import { serveCommand } from "./commands/serve.js";
import type { Io } from "./output.js";

export const VERSION = "0.1.0";

export function buildProgram(io: Io): Command {
  const program = new Command("peh")
    .description(
      "peh, the planning-execution harness: turn a goal into a reviewed plan of tasks, gate it behind " +
        "an explicit human approval, run it with state-machine workers, and record every change in an " +
        "event log from which everything else is rebuilt.",
    )
    .version(VERSION)
    .option("--store <dir>", "the event store directory (default: $PEH_STORE or ./.peh)")
    .showHelpAfterError("(run `peh --help` for the commands, `peh <command> --help` for one)")
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) })
    .addHelpText(
      "after",
      "\nExit codes: 0 done, 1 the run failed or was aborted, 2 bad input or usage,\n" +
        "            3 waiting for a human (the message says what to type), 4 conflict with another writer.",
    )
    .exitOverride();
  planCommand(program, io);
  showCommand(program, io);
  approveCommand(program, io);
  modifyCommand(program, io);
  refineCommand(program, io);
  clarifyCommand(program, io);
  rejectCommand(program, io);
  runCommand(program, io);
  decideCommand(program, io);
  trustCommand(program, io);
  statusCommand(program, io);
  logCommand(program, io);
  replayCommand(program, io);
  reportCommand(program, io);
  inspectCommand(program, io);
  serveCommand(program, io);
  graphCommand(program, io);
  for (const command of program.commands) command.exitOverride();
  return program;
}
