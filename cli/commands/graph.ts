// `peh graph [machine] [--format mermaid|dot|json]`: the lifecycles as diagrams.
import { Option, type Command } from "commander";
import { PehError } from "../../events/index.js";
import { DIAGRAM_FORMATS, MACHINE_NAMES, renderDiagram, type DiagramFormat, type MachineName } from "../../machines/diagram.js";
import { stateName } from "../../machines/fold/state-name.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { viewStateOf } from "../../runtime/view-state.js";
import { storeOf } from "../context.js";
import { RUN_NAMES } from "../run-argument.js";
import { printJson, type Io } from "../output.js";

/** The states a run's machines of one kind are in now, from its log. */
async function currentStates(command: Command, run: string, machine: MachineName): Promise<string[]> {
  const store = storeOf(command);
  const { state } = await viewStateOf(store, await resolveRunId(store, run));
  if (machine === "plan") return [stateName(state.plan.value)];
  if (machine === "bootstrap") return [stateName(state.bootstrap.value)];
  const cells = machine === "task" ? [...state.tasks.values()] : [...state.workers.values()];
  return [...new Set(cells.map((cell) => stateName(cell.value)))];
}

export interface GraphOptions {
  format: DiagramFormat;
  json?: boolean;
  run?: string;
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
    .option("--run <run>", `highlight the states this run's machines of that kind are in now (${RUN_NAMES})`)
    .addHelpText(
      "after",
      "\nExamples:\n  peh graph worker\n  peh graph bootstrap --format dot | dot -Tsvg > bootstrap.svg\n  peh graph task --json\n  peh graph task --run latest      # the states the latest run's tasks are in",
    )
    .action(async (machine: string, options: GraphOptions, command: Command) => {
      if (!MACHINE_NAMES.includes(machine as MachineName)) {
        throw new PehError("USAGE", `unknown machine "${machine}"`, `pick one of: ${MACHINE_NAMES.join(", ")}`);
      }
      const highlight = options.run === undefined ? undefined : await currentStates(command, options.run, machine as MachineName);
      // --json: the machine config as the command's one document (as --format json prints it).
      if (options.json) printJson(io, JSON.parse(renderDiagram(machine as MachineName, "json")) as object);
      else io.out(renderDiagram(machine as MachineName, options.format, highlight ? { highlight } : {}));
    });
}
