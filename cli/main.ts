#!/usr/bin/env node
// The `peh` entry: run the program, map errors to exit codes. The only file that exits (also when
// the reader of its output goes away).
import { CommanderError } from "commander";
import { isPehError } from "../events/index.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { processIo, renderError } from "./output.js";
import { buildProgram } from "./program.js";
import { closeStores } from "./context.js";

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const io = processIo({ json });
  try {
    const program = await buildProgram(io, argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.done;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; anything else commander refused is usage
      // (commander has said why on stderr; with --json the document says it too).
      if (error.exitCode === 0) return EXIT.done;
      if (json) io.fail({ code: "USAGE", message: error.message.replace(/^error: /, ""), hint: "see the command's --help" });
      return EXIT.usage;
    }
    if (isPehError(error)) {
      renderError(io, error, json);
      return exitCodeFor(error.code);
    }
    io.err(`peh hit an unexpected error. Please report it with the stack below.\n${(error as Error)?.stack ?? String(error)}`);
    if (json) io.fail({ code: "INTERNAL", message: `peh hit an unexpected error: ${(error as Error)?.message ?? String(error)}`, hint: "please report it with the stack printed on stderr" });
    return EXIT.failed;
  } finally {
    await closeStores();
    io.end();
  }
}

// A reader that went away (`peh log | head`) is not an error: stop quietly, as other Unix tools do.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(EXIT.done);
  throw error;
});

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

// Exit once the command is done, even if a library left a timer behind (the inspector's
// WebSocket adapter schedules reconnects that stop() does not cancel). A pipe takes 64 KiB at a
// time and Node queues the rest, so wait for what was printed to be written out first.
const code = await main(process.argv);
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
