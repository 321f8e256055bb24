// `peh graph [machine] [--format mermaid|dot|json]`: the lifecycles as diagrams.
import { Option, type Command } from "commander";
import { PehError } from "../../events/index.js";
import { DIAGRAM_FORMATS, MACHINE_NAMES, renderDiagram, type DiagramFormat, type MachineName } from "../../machines/diagram.js";
import type { Io } from "../output.js";

export interface GraphOptions {
  format: DiagramFormat;
  json?: boolean;
}

export function graphCommand(program: Command, io: Io): void {
  program
    .command("graph")
    .summary("the lifecycles as diagrams (Mermaid, DOT or the machine config as JSON)")
    .description(
      "Print a lifecycle machine as a diagram: Mermaid (paste into any Mermaid renderer), DOT (pipe to\n" +
        "`dot -Tsvg`), or the machine config as JSON (importable into Stately Studio).",
    )
    .argument("[machine]", `one of ${MACHINE_NAMES.join(", ")}`, "plan")
    .addOption(new Option("--format <format>", "diagram format").choices(DIAGRAM_FORMATS).default("mermaid"))
    .option("--json", "same as --format json")
    .addHelpText("after", "\nExamples:\n  peh graph worker\n  peh graph bootstrap --format dot | dot -Tsvg > bootstrap.svg\n  peh graph task --json")
    .action((machine: string, options: GraphOptions) => {
      if (!MACHINE_NAMES.includes(machine as MachineName)) {
        throw new PehError("USAGE", `unknown machine "${machine}"`, `pick one of: ${MACHINE_NAMES.join(", ")}`);
      }
      io.out(renderDiagram(machine as MachineName, options.json ? "json" : options.format));
    });
}
