// A long-lived `peh` for the approval race (test/torture/approval-race.test.ts): the real command
// line, run in this process once per round, so that two of them can be released at once. Reads a
// JSON array of arguments, builds the program and prints "ready"; on "go" runs it and prints one
// JSON line {code, out, err} with the exit code `peh` would have exited with.
import { createInterface } from "node:readline";
import { exitCodeFor } from "../../dist/cli/exit-codes.js";
import { buildProgram } from "../../dist/cli/program.js";
import { isPehError } from "../../dist/events/index.js";

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
for (;;) {
  const { value, done } = await lines.next();
  if (done) break;
  const argv = ["node", "peh", ...JSON.parse(value)];
  const out = [];
  const err = [];
  const program = await buildProgram({ out: (text) => out.push(text), err: (text) => err.push(text), color: false }, argv);
  process.stdout.write("ready\n");
  while ((await lines.next()).value?.trim() !== "go");
  let code = 0;
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv);
    code = typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    code = isPehError(error) ? exitCodeFor(error.code) : error?.code?.startsWith?.("commander.") ? 2 : 1;
    err.push(isPehError(error) ? error.message : String(error?.stack ?? error));
  }
  process.exitCode = undefined;
  process.stdout.write(`${JSON.stringify({ code, out: out.join("\n"), err: err.join("\n") })}\n`);
}
