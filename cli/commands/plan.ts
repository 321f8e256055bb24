// `peh plan ["<objective>"] [--from plan.yaml] [--planner builtin|"cmd:<command>"] [--strict]`
import { Option, type Command } from "commander";
import { AgentCliSchema, isPehError, type PlanFile } from "../../events/index.js";
import { resolveAgent, usdWithoutCost, usdWithoutCostWarning } from "../../runtime/agents/resolve.js";
import { agentProblems } from "../../runtime/execution/attempt/agent-check.js";
import { workingDirOf } from "../../runtime/workspace/place.js";
import { readUserConfig } from "../../runtime/execution/trust/trust.js";
import { createRun, nextStep } from "../../runtime/gate/gate.js";
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
        "so by the plan, given a confirm phrase, asking for a grant, or matching a destructive pattern in a command, " +
        "check, prompt or objective), and the run waits for `peh approve`. A task may ask for rights beyond its " +
        "scope: network: true, writable: [paths] (absolute or relative to the workspace) or sandbox: off; the plan " +
        "view lists each under its task, and only the approval (the task's phrase) grants them. " +
        "Nothing is recorded for an invalid plan.",
    )
    .argument("[objective...]", "what to achieve, for the planner (quote it)")
    .option("--from <file>", "a plan file, YAML or JSON")
    .option("--planner <planner>", 'builtin; claude, codex, gemini or opencode (that agent CLI plans: $PEH_PLANNER_COMMAND or $PEH_AGENT_COMMAND starts it); or "cmd:<command>" for an external planner speaking the planning contract', "builtin")
    .addOption(new Option(PLANNER_TIMEOUT.flags, PLANNER_TIMEOUT.description).default(PLANNER_TIMEOUT.default))
    .option("--strict", "treat warnings (vague objectives, fewer than 3 or more than 7 tasks) as errors")
    .option("--json", "print {run_id, plan, problems} (and the error, if the plan is refused)")
    .addHelpText(
      "after",
      '\nExamples:\n  peh plan --from examples/release.yaml\n  peh plan --from examples/vendor.yaml   (a task that asks for the network)\n  peh plan "add dark mode to the dashboard"\n  peh plan "audit the IAM roles" --planner "cmd:python3 examples/planner.py"',
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
        const agents = await agentWarning(created.plan);
        const usd = await usdWarning(created.plan);
        io.out(
          [
            `${p.bold("Run")} ${created.run_id} · plan version ${created.plan.version} · awaiting approval`,
            ...renderPlan(io, created.plan),
            ...renderProblems(io, created.problems),
            ...(agents ? [`  ${p.yellow("warning")} ${agents}`] : []),
            ...(usd ? [`  ${p.yellow("warning")} ${usd}`] : []),
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

/** A dollar budget on tasks whose agent CLI reports no cost (runtime/agents/resolve.ts). */
async function usdWarning(plan: Pick<PlanFile, "agent" | "budget" | "tasks">): Promise<string | undefined> {
  const config = await readUserConfig().catch(() => undefined);
  const cli = AgentCliSchema.safeParse(process.env.PEH_AGENT_CLI || config?.agent.cli);
  return usdWithoutCostWarning(usdWithoutCost(plan, cli.success ? { agentCli: cli.data } : {}));
}

/**
 * What `peh run` would refuse about the agent tasks, if it can be told now: no agent command in
 * $PEH_AGENT_COMMAND or the config (peh run may still be given --agent-command), or one whose
 * program is not found.
 */
async function agentWarning(plan: Pick<PlanFile, "agent" | "tasks">): Promise<string | undefined> {
  const config = await readUserConfig().catch(() => undefined);
  const agentCommand = process.env.PEH_AGENT_COMMAND ?? config?.agent.command;
  const cli = AgentCliSchema.safeParse(process.env.PEH_AGENT_CLI || config?.agent.cli);
  const defaults = { ...(agentCommand ? { agentCommand } : {}), ...(cli.success ? { agentCli: cli.data } : {}) };
  // An agent CLI's task runs its program (`claude`) when no command is configured.
  const problems = agentProblems(plan.tasks, agentCommand, process.env, (task) => workingDirOf(process.cwd(), task), (task) => resolveAgent(plan, task, defaults)?.command);
  if (problems.length === 0) return undefined;
  return `agent tasks cannot start as things are: ${problems.map((p) => `${p.task_id} (${p.problem})`).join("; ")}. Give peh run --agent-command CMD, set $PEH_AGENT_COMMAND or agent.command in your config`;
}
