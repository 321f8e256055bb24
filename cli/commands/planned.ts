// The commands of DESIGN §7 that are not built yet: listed in --help, and honest when called.
import type { Command } from "commander";
import { PehError } from "../../events/index.js";

interface Planned {
  name: string;
  args?: string;
  summary: string;
  issue: number;
}

const PLANNED: Planned[] = [
  { name: "plan", args: "[objective]", summary: "create a run: plan, validate and show it for approval", issue: 3 },
  { name: "show", args: "[run]", summary: "the plan of a run and its gate state", issue: 3 },
  { name: "approve", args: "[run]", summary: "approve the current plan version (risky tasks need their phrases)", issue: 3 },
  { name: "modify", args: "[run]", summary: "make a new plan version (needs approval again)", issue: 3 },
  { name: "refine", args: "[run]", summary: "ask the planner for a new version", issue: 3 },
  { name: "clarify", args: "[run]", summary: "ask a question about the plan before approving", issue: 3 },
  { name: "reject", args: "[run]", summary: "reject the plan", issue: 3 },
  { name: "run", args: "[run]", summary: "execute or resume a run", issue: 4 },
  { name: "decide", args: "[run]", summary: "answer an escalation: retry, skip or abort", issue: 4 },
  { name: "trust", args: "[run]", summary: "resolve a worker's trust gate", issue: 4 },
];

export function plannedCommands(program: Command, skip: ReadonlySet<string>): void {
  for (const planned of PLANNED) {
    if (skip.has(planned.name)) continue;
    const command = program
      .command(planned.args ? `${planned.name} ${planned.args}` : planned.name)
      .summary(`${planned.summary} (not built yet)`)
      .description(`${planned.summary}.\nNot built yet: see issue ${planned.issue}.`)
      .option("--json", "machine output")
      .allowUnknownOption()
      .allowExcessArguments();
    command.action(() => {
      throw new PehError("NOT_IMPLEMENTED", `\`peh ${planned.name}\` is not built yet (issue ${planned.issue})`);
    });
  }
}
