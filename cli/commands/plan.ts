// `peh plan ["<objective>"] [--from plan.yaml] [--planner builtin|"cmd:<command>"] [--strict]`
import { Option, type Command } from "commander";
import { isPehError } from "../../events/index.js";
import { createRun, nextStep } from "../../runtime/gate.js";
import { RunHandle } from "../../runtime/command-handler.js";
import { PLANNER_TIMEOUT, plannerTimeoutMs, storeOf } from "../context.js";
import { paint, printJson, problemsOf, type Io } from "../output.js";
import { renderPlan, renderProblems } from "../render/plan-view.js";

interface PlanOptions {
  from?: string;
  planner?: string;
  plannerTimeout: string;
  strict?: boolean;
  json?: boolean;
}

export function planCommand(program: Command, io: Io): void {
  program
    .command("plan")
    .summary("create a run: plan, validate and show it for approval")
    .description(
      "Create a run from a plan file (YAML or JSON) or from an objective handed to a planner. The plan is " +
        "validated (every problem at once: the schema's and the rest together), risky tasks are marked (marked " +
        "so by the plan, given a confirm phrase, or matching a destructive pattern in a command, check, prompt or " +
        "objective), and the run waits for `peh approve`. " +
        "Nothing is recorded for an invalid plan.",
    )
    .argument("[objective...]", "what to achieve, for the planner (quote it)")
    .option("--from <file>", "a plan file, YAML or JSON")
    .option("--planner <planner>", 'builtin, or "cmd:<command>" for an external planner speaking the planning contract', "builtin")
    .addOption(new Option(PLANNER_TIMEOUT.flags, PLANNER_TIMEOUT.description).default(PLANNER_TIMEOUT.default))
    .option("--strict", "treat warnings (vague objectives, fewer than 3 or more than 7 tasks) as errors")
    .option("--json", "print {run_id, plan, problems} (and the error, if the plan is refused)")
    .addHelpText(
      "after",
      '\nExamples:\n  peh plan --from examples/release.yaml\n  peh plan "add dark mode to the dashboard"\n  peh plan "audit the IAM roles" --planner "cmd:python3 examples/planner.py"',
    )
    .action(async (words: string[], options: PlanOptions, command: Command) => {
      const store = storeOf(command, { create: true });
      try {
        const created = await createRun(store, {
          workspace: process.cwd(),
          from: options.from,
          objective: words.length > 0 ? words.join(" ") : undefined,
          planner: options.planner,
          plannerTimeoutMs: plannerTimeoutMs(options.plannerTimeout),
          strict: options.strict,
        });
        if (options.json) {
          printJson(io, { run_id: created.run_id, plan: created.plan, problems: created.problems });
          return;
        }
        const run = await RunHandle.open(store, created.run_id);
        const p = paint(io);
        io.out(
          [
            `${p.bold("Run")} ${created.run_id} · plan version ${created.plan.version} · awaiting approval`,
            ...renderPlan(io, created.plan),
            ...renderProblems(io, created.problems),
            "",
            `${p.bold("Next:")} ${nextStep(created.run_id, run.state)}`,
          ].join("\n"),
        );
      } catch (error) {
        // Nothing was recorded; the document says so beside the error (exit 2).
        if (options.json && isPehError(error, "PLAN_INVALID")) printJson(io, { run_id: null, plan: null, problems: problemsOf(error) });
        throw error;
      }
    });
}
