import { describe, expect, it } from "vitest";
import { buildProgram } from "../../cli/program.js";
import { exitCodeFor } from "../../cli/exit-codes.js";
import type { Io } from "../../cli/output.js";
import { ErrorCodeSchema } from "../../events/index.js";

function capture(): Io & { text: () => string } {
  const lines: string[] = [];
  return { out: (t) => lines.push(t), err: (t) => lines.push(t), color: false, text: () => lines.join("\n") };
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
  return { io, error };
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
    for (const command of ["plan", "show", "approve", "modify", "refine", "clarify", "reject", "run", "decide", "trust", "cancel", "status", "runs", "log", "replay", "report", "graph", "inspect", "serve"]) {
      expect(io.text()).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
  });

  it("refuses an unknown diagram format with the allowed choices", async () => {
    const { io, error } = await parse(["graph", "--format", "svg"]);
    expect(error).toBeDefined();
    expect(io.text()).toMatch(/mermaid, dot, json/);
  });
});

describe("peh command line › exit codes", () => {
  it("maps every error code to one of 1 to 4", () => {
    for (const code of ErrorCodeSchema.options) expect([1, 2, 3, 4]).toContain(exitCodeFor(code));
  });

  it.each([
    ["USAGE", 2],
    ["CONFIRMATION_MISSING", 2],
    ["WAITING_FOR_HUMAN", 3],
    ["APPEND_CONFLICT", 4],
    ["RUN_FAILED", 1],
  ] as const)("%s exits %i", (code, exit) => {
    expect(exitCodeFor(code)).toBe(exit);
  });
});
