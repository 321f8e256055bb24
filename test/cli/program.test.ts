import { describe, expect, it } from "vitest";
import { buildProgram } from "../../cli/program.js";
import { exitCodeFor } from "../../cli/exit-codes.js";
import { RUN_ARGUMENT } from "../../cli/run-argument.js";
import { createOutput, type Output } from "../../cli/output.js";
import { ErrorCodeSchema } from "../../events/index.js";

function capture(): Output & { text: () => string } {
  const lines: string[] = [];
  const io = createOutput({ stdout: (t) => lines.push(t), stderr: (t) => lines.push(t) }, { json: false, color: false });
  return Object.assign(io, { text: () => lines.join("") });
}

async function parse(argv: string[]) {
  const io = capture();
  const program = await buildProgram(io, ["node", "peh", ...argv]);
  let error: unknown;
  try {
    await program.parseAsync(["node", "peh", ...argv]);
  } catch (caught) {
    error = caught;
  }
  io.end();
  return { io, error, program };
}

describe("peh command line › argv", () => {
  it.each([
    [["graph"], "stateDiagram-v2", "plan"],
    [["graph", "worker"], "trust_required", "worker"],
    [["graph", "task", "--format", "dot"], 'digraph "task"', "task"],
    [["graph", "bootstrap", "--format", "json"], '"id": "bootstrap"', "bootstrap"],
    [["graph", "plan", "--json"], '"id": "plan"', "plan"],
  ])("%j prints a diagram containing %s", async (argv, expected) => {
    const { io, error } = await parse(argv);
    expect(error).toBeUndefined();
    expect(io.text()).toContain(expected);
  });

  it("lists every command of the design in --help", async () => {
    const { io } = await parse(["--help"]);
    for (const command of ["plan", "show", "approve", "modify", "refine", "clarify", "reject", "run", "decide", "trust", "cancel", "status", "runs", "log", "output", "replay", "report", "graph", "inspect", "serve"]) {
      expect(io.text()).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
  });

  it("refuses an unknown diagram format with the allowed choices", async () => {
    const { io, error } = await parse(["graph", "--format", "svg"]);
    expect(error).toBeDefined();
    expect(io.text()).toMatch(/mermaid, dot, json/);
  });
});

// Every command, from the program as `peh --help` builds it.
const commands = (await parse([])).program.commands.map((command) => [command.name(), command] as const);

describe("peh command line › --json and RUN", () => {
  it.each(commands)("%s takes --json", (_name, command) => {
    expect(command.options.map((option) => option.long)).toContain("--json");
  });

  it.each(commands.filter(([, command]) => command.registeredArguments.some((argument) => argument.name() === "run")))(
    "%s takes a RUN as an id, the start of one, or latest",
    (_name, command) => {
      const run = command.registeredArguments.find((argument) => argument.name() === "run")!;
      expect(run.description).toBe(RUN_ARGUMENT);
    },
  );
});

describe("peh command line › exit codes", () => {
  it("maps every error code to one of 1 to 5", () => {
    for (const code of ErrorCodeSchema.options) expect([1, 2, 3, 4, 5]).toContain(exitCodeFor(code));
  });

  it.each([
    ["USAGE", 2],
    ["CONFIRMATION_MISSING", 2],
    ["WAITING_FOR_HUMAN", 3],
    ["APPEND_CONFLICT", 4],
    ["RUN_FAILED", 1],
    ["STORE_CORRUPT", 5],
  ] as const)("%s exits %i", (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
  });

  it("says in every command's --help which options are required", async () => {
    const program = await buildProgram(capture(), ["node", "peh"]);
    const required = program.commands.flatMap((command) => command.options.filter((option) => option.mandatory).map((option) => [command.name(), option.long!] as const));
    expect(required.map(([command]) => command)).toEqual(expect.arrayContaining(["reject", "refine", "decide"]));
    for (const [command, flag] of required) {
      const { io } = await parse([command, "--help"]);
      expect(io.text(), `${command} --help`).toMatch(new RegExp(`^  ${flag} <[a-z]+>\\s+.*\\(required\\)$`, "m"));
    }
  });
});
