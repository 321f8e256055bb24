// `peh worker [--concurrency N] [--run RUN] [--until-idle]`: executes tasks of the approved runs of a
// shared store, on this host, until stopped (SIGINT/SIGTERM drain it as `peh run`).
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { PehError, RunIdSchema } from "../../events/index.js";
import { readUserConfig } from "../../runtime/execution/trust/trust.js";
import { workLoop, type WorkerLine } from "../../runtime/execution/worker-loop.js";
import { collect, storeOf } from "../context.js";
import { sandboxModeOf } from "./run.js";
import { printJson, type Io } from "../output.js";

interface WorkerOptions {
  concurrency?: string;
  run?: string;
  untilIdle?: boolean;
  trustRoot: string[];
  agentCommand?: string;
  sandbox?: string;
  json?: boolean;
}

export function workerCommand(program: Command, io: Io): void {
  program
    .command("worker")
    .summary("execute the approved runs of a shared store, on any number of hosts")
    .description(
      "Wait for approved runs in the store and execute them, as `peh run` would (trust, recovery, resuming after " +
        "a crash). Start one on every host that should do the work, all with the same --store postgres://…: the " +
        "workers split each run's tasks, each claiming ready tasks (WORKER_CLAIMED, appended at the version it read) " +
        "under a lease on the server's clock, renewed while the attempt runs. A worker that dies or stalls past its " +
        "lease ($PEH_TASK_LEASE_SECONDS, default 30; at once for a dead worker of the same host) has its attempt taken " +
        "over by another: interrupted, and run again if the task is idempotent, else it waits for `peh decide`. A " +
        "stalled worker that wakes up has its late result refused. The plan's `concurrency` holds across all workers. " +
        "Execution is at least once, recording exactly once. On the embedded store a worker executes a whole run " +
        "under its lease. Runs waiting for trust or a decision are looked at again once their log grows.",
    )
    .option("--concurrency <n>", "tasks this worker runs at once (default: CPU count; the plan's concurrency caps all workers together)")
    .option("--run <run>", "only this run")
    .option("--until-idle", "stop once no run has work left, instead of waiting for more")
    .option("--trust-root <dir>", "trust workers inside this directory (repeat; also $PEH_TRUST_ROOTS and the config file)", collect, [])
    .option("--agent-command <command>", "the agent CLI that agent tasks' prompts are written to (stdin)")
    .option("--sandbox <mode>", "auto (default: bubblewrap where it works, else unsandboxed with a warning), required (refuse without it, exit 2) or off; wins over sandbox: in the config")
    .option("--json", "machine output: when the worker stops, one document with each run it executed and how that ended (progress stays on stderr)")
    .addHelpText("after", "\nExamples:\n  peh worker --store postgres://peh@db.internal/peh --concurrency 4\n  PEH_STORE=postgres://peh@db.internal/peh peh worker --run r-20261202-101500-ab12 --until-idle")
    .action(async (options: WorkerOptions, command: Command) => {
      const concurrency = options.concurrency === undefined ? availableParallelism() : Number(options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new PehError("USAGE", `--concurrency must be a whole number ≥ 1, not "${options.concurrency}"`);
      const run = options.run === undefined ? undefined : RunIdSchema.safeParse(options.run);
      if (run && !run.success) throw new PehError("USAGE", `--run "${options.run}" is not a run id`, "peh runs lists them");
      const store = storeOf(command);
      const config = await readUserConfig();
      const sandbox = sandboxModeOf(options.sandbox, config.sandbox);
      const drain = new AbortController();
      const stop = () => drain.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const agentCommand = options.agentCommand ?? process.env.PEH_AGENT_COMMAND ?? config.agent.command;
      io.err(`peh worker (pid ${process.pid}): ${concurrency} task(s) at once${run?.data ? `, run ${run.data} only` : ""}`);
      const ended: { run_id: string; outcome: string }[] = [];
      try {
        await workLoop({
          store,
          concurrency,
          ...(run?.data ? { run: run.data } : {}),
          trustRoots: options.trustRoot,
          ...(agentCommand ? { agentCommand } : {}),
          agentGrants: config.agent.grants,
          sandbox,
          untilIdle: options.untilIdle === true,
          signal: drain.signal,
          report: (line) => {
            if (line.kind === "outcome") ended.push({ run_id: line.run, outcome: line.outcome.kind });
            io.err(describe(line));
          },
        });
        if (options.json) printJson(io, { runs: ended });
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
    });
}

function describe(line: WorkerLine): string {
  switch (line.kind) {
    case "took":
      return `${line.run}: executing`;
    case "progress": {
      const { line: progress } = line;
      if (progress.kind === "task") return `${line.run}: ${progress.ok ? "✓" : "✗"} ${progress.task}${progress.detail ? `: ${progress.detail}` : ""}`;
      if (progress.kind === "started") return `${line.run}: started ${progress.task} (attempt ${progress.attempt})`;
      return `${line.run}: ${progress.text}`;
    }
    case "outcome":
      return `${line.run}: ${line.outcome.kind}${line.outcome.kind === "waiting" ? ` (${line.outcome.reason})` : ""}`;
    case "lost":
      return `${line.run}: left to another peh: ${line.why}`;
  }
}
