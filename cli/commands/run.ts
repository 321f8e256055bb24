// `peh run [RUN]` and `peh run --from plan.yaml [--approve-as NAME --confirm "<phrase>"]…`:
// only an approved plan runs. Off a terminal only the flags approve; never a silent yes.
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { AgentCliSchema, isPehError, PehError, SANDBOX_MODES, SandboxModeSchema, type AgentCli, type RunId, type SandboxMode } from "../../events/index.js";
import { foldRun } from "../../machines/fold/run.js";
import { viewOf } from "../../projections/run-view.js";
import { skippedFailuresOf, withDeciders } from "../../projections/skipped.js";
import { approveRun, createRun } from "../../runtime/gate/gate.js";
import { attemptLogLimit } from "../../runtime/execution/attempt/attempt-log.js";
import { Orchestrator } from "../../runtime/execution/orchestrator.js";
import { readUserConfig } from "../../runtime/execution/trust/trust.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { ask, askPhrases, collect, humanName, interactive, storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { paint, printJson, problemsOf, type Io } from "../output.js";
import { renderPlan, renderProblems } from "../render/plan-view.js";
import { LiveView } from "../render/live.js";
import { renderSummary } from "../render/progress.js";

interface RunOptions {
  from?: string;
  approveAs?: string;
  confirm: string[];
  strict?: boolean;
  concurrency?: string;
  wait?: boolean;
  trustRoot: string[];
  agentCommand?: string;
  sandbox?: string;
  agentCli?: string;
  json?: boolean;
}

export function runCommand(program: Command, io: Io): void {
  program
    .command("run")
    .summary("execute or resume a run (only an approved plan runs)")
    .description(
      "Execute an approved run: the bootstrap phases, then every task through its worker, dependencies first and " +
        "independent tasks in parallel. A run that was stopped or crashed resumes from its log; tasks that " +
        "succeeded never run again. With --from, plan the file and gate it first (a prompt on a terminal; " +
        "otherwise --approve-as NAME and a --confirm per risky task; otherwise exit 3). A run whose current plan " +
        "version is not approved exits 3 and starts nothing.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--from <file>", "plan this file first")
    .option("--approve-as <name>", "with --from: approve as this human")
    .option("--confirm <phrase>", "with --from: the phrase of a risky task (repeat for each)", collect, [])
    .option("--strict", "with --from: treat plan warnings as errors")
    .option("--concurrency <n>", "tasks at once (default: CPU count)")
    .option("--wait", "wait for decisions and trust given from another terminal instead of exiting 3")
    .option("--trust-root <dir>", "trust workers inside this directory (repeat; also $PEH_TRUST_ROOTS and the config file)", collect, [])
    .option("--agent-command <command>", "the agent CLI that agent tasks' prompts are written to (stdin); checked before anything starts")
    .option("--sandbox <mode>", "auto (default: bubblewrap where it works, else unsandboxed with a warning), required (refuse without it, exit 2) or off; wins over sandbox: in the config")
    .option("--agent-cli <cli>", `whose stream agent tasks print: ${AgentCliSchema.options.join(", ")} (default generic: plain output, judged by its exit code; also $PEH_AGENT_CLI and agent.cli in the config)`)
    .option("--json", "machine output: one document with the outcome (with --from, the plan too), and the error if it stops")
    .addHelpText(
      "after",
      '\nExamples:\n  peh run --from examples/release.yaml --approve-as ana --confirm "deploy 2.4.1 to production" --trust-root .\n  peh run --wait          # resume the latest run, waiting for decisions from other terminals' +
        "\n\nProcesses are started by small perl helpers, which fork far more cheaply than Node (without perl, Node " +
        "spawns them). PEH_SPAWN=node makes Node spawn every process itself." +
        "\n\nEvery command of a task runs with its `shell`: sh (/bin/sh -e: a script stops at its first failing line) " +
        'by default, bash (-eo pipefail), or a template such as "sh {0}" or "python3 {0}" ({0}: the script\'s file). ' +
        "`timeout` bounds each process; `task_timeout` the command and its acceptance tests together." +
        "\n\nEach attempt runs under bubblewrap (bwrap) where it works: the file system read-only except the task's scope and a " +
        "private /tmp, the store (.peh/) never writable, .git writable only by a workspace-scoped task, no network. " +
        "`peh log` shows each attempt's profile on its WORKER_RUNNING line." +
        "\n\nAgent tasks run through an agent CLI's adapter (--agent-cli, agent.cli in the config, or `agent: { cli: claude }` " +
        "in the plan): claude, codex, gemini or opencode run non-interactively, their JSON stream becomes readable lines, and " +
        "usage, cost, turns and the final result are recorded (peh status shows them). `budget: { usd, turns }` stops an " +
        "attempt that spends more, and once the plan's budget is spent no next attempt starts (RUN_BUDGET_SPENT: the run " +
        "waits for a human); only turns apply to codex and gemini, which report no cost. A rate limit waits for its reset " +
        "and counts against the retry budget once. `idle_timeout` (default 5m for agent CLIs) stops one that prints nothing." +
        "\n\nEach attempt's output, secrets redacted, goes to .peh/runs/<run>/attempts/<task>#<attempt>.log: `peh output " +
        "TASK` prints it. PEH_ATTEMPT_LOG_MAX caps each attempt's log (default 1M; 512K, 4M…; 0 for no cap): past it, " +
        "the log keeps the head and the tail and says how many bytes it left out.",
    )
    .action(async (runArg: string | undefined, options: RunOptions, command: Command) => {
      attemptLogLimit(); // a bad $PEH_ATTEMPT_LOG_MAX stops peh before anything is recorded
      sandboxModeOf(options.sandbox, undefined); // and so does a bad --sandbox
      const store = storeOf(command, { create: options.from !== undefined });
      const runId = options.from !== undefined ? await planAndGate(io, command, runArg, options) : await resolveRunId(store, runArg);
      const concurrency = options.concurrency === undefined ? availableParallelism() : Number(options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new PehError("USAGE", `--concurrency must be a whole number ≥ 1, not "${options.concurrency}"`);
      const config = await readUserConfig();
      const sandbox = sandboxModeOf(options.sandbox, config.sandbox);
      const drain = new AbortController();
      let stoppedBy: NodeJS.Signals | undefined;
      const onSignal = (signal: NodeJS.Signals) => {
        stoppedBy = signal;
        drain.abort();
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const started = performance.now();
      const live = new LiveView(io);
      try {
        const agentCommand = options.agentCommand ?? process.env.PEH_AGENT_COMMAND ?? config.agent.command;
        const agentCli = agentCliOf(options.agentCli ?? process.env.PEH_AGENT_CLI ?? config.agent.cli);
        const outcome = await new Orchestrator({
          store,
          runId,
          concurrency,
          wait: options.wait === true,
          trustRoots: options.trustRoot,
          ...(agentCommand ? { agentCommand } : {}),
          agentGrants: config.agent.grants,
          sandbox,
          ...(agentCli ? { agentCli } : {}),
          signal: drain.signal,
          progress: (line) => (options.json ? undefined : live.show(line)),
        }).execute();
        live.stop();
        const events = await store.read(runId);
        const state = foldRun(events);
        const view = viewOf(state);
        const skipped_failures = withDeciders(skippedFailuresOf(state), events);
        // The outcome joins the document; an exit 3 below adds its error to the same document.
        if (options.json) printJson(io, { run_id: runId, outcome, progress: view.progress, skipped_failures });
        else io.out(renderSummary(io, view, (performance.now() - started) / 1000, skipped_failures));
        if (outcome.kind === "waiting") throw new PehError("WAITING_FOR_HUMAN", `run ${runId} is waiting: ${outcome.reason}`, outcome.next);
        if (outcome.kind === "drained") process.exitCode = stoppedBy === "SIGINT" ? 130 : 143;
        else if (outcome.kind !== "completed") process.exitCode = 1;
      } finally {
        live.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

async function planAndGate(io: Io, command: Command, runArg: string | undefined, options: RunOptions): Promise<RunId> {
  if (runArg !== undefined) throw new PehError("USAGE", "give a run id or --from, not both");
  const store = storeOf(command, { create: true });
  const created = await createRun(store, { workspace: process.cwd(), from: options.from, strict: options.strict }).catch((error: unknown) => {
    if (options.json && isPehError(error, "PLAN_INVALID")) printJson(io, { run_id: null, plan: null, problems: problemsOf(error) });
    throw error;
  });
  // With --json the plan is part of the one document, beside the outcome (or the error) to come.
  if (options.json) printJson(io, { run_id: created.run_id, plan: created.plan, problems: created.problems });
  else {
    const p = paint(io);
    io.out([`${p.bold("Run")} ${created.run_id} · plan version 1`, ...renderPlan(io, created.plan), ...renderProblems(io, created.problems), ""].join("\n"));
  }
  let actor = options.approveAs === undefined ? undefined : humanName(options.approveAs, "--approve-as", "approves");
  const confirmations = [...options.confirm];
  if (actor === undefined && interactive()) {
    actor = humanName(await ask("Approve this plan? Type your name to approve (Ctrl-C to stop)"), "the name typed", "approves");
    confirmations.push(...(await askPhrases(created.plan)));
  }
  // The version shown above: a modification meanwhile is refused, never approved unseen.
  if (actor !== undefined) await approveRun(store, created.run_id, { actor, confirmations, version: created.plan.version });
  return created.run_id;
}

/** `--sandbox`, else the config's `sandbox:`, else auto. */
export function sandboxModeOf(flag: string | undefined, configured: SandboxMode | undefined): SandboxMode {
  if (flag === undefined) return configured ?? "auto";
  const parsed = SandboxModeSchema.safeParse(flag);
  if (!parsed.success) throw new PehError("USAGE", `--sandbox must be ${SANDBOX_MODES.join(", ")}, not "${flag}"`, "peh run --sandbox auto (the default), required or off");
  return parsed.data;
}

/** The agent CLI named by --agent-cli or $PEH_AGENT_CLI, checked: a USAGE error names the known ones. */
function agentCliOf(name: string | undefined): AgentCli | undefined {
  if (name === undefined || name === "") return undefined;
  const parsed = AgentCliSchema.safeParse(name);
  if (!parsed.success) throw new PehError("USAGE", `unknown agent CLI "${name}"`, `use one of ${AgentCliSchema.options.join(", ")}: peh run --agent-cli claude`);
  return parsed.data;
}
