// `peh run [RUN]` and `peh run --from plan.yaml [--approve-as NAME --confirm "<phrase>"]…`:
// only an approved plan runs. Off a terminal only the flags approve; never a silent yes.
import type { Command } from "commander";
import { PehError, type RunId } from "../../events/index.js";
import { riskyTasksOf } from "../../machines/plan.js";
import { RunHandle } from "../../runtime/command-handler.js";
import { approveRun, createRun, requireApproved, resolveRunId } from "../../runtime/gate.js";
import { ask, collect, interactive, storeOf } from "../context.js";
import { paint, type Io } from "../output.js";
import { renderPlan, renderProblems } from "../render/plan-view.js";

interface RunOptions {
  from?: string;
  approveAs?: string;
  confirm: string[];
  planner?: string;
  strict?: boolean;
  json?: boolean;
}

export function runCommand(program: Command, io: Io): void {
  program
    .command("run")
    .summary("execute or resume a run (only an approved plan runs)")
    .description(
      "Execute an approved run. With --from, plan the file, gate it (a prompt on a terminal; otherwise " +
        "--approve-as NAME and a --confirm per risky task; otherwise exit 3 with the command to type) and run it. " +
        "A run whose current plan version is not approved exits 3 and starts nothing.",
    )
    .argument("[run]", "run id (default: the most recent)")
    .option("--from <file>", "plan this file first")
    .option("--approve-as <name>", "with --from: approve as this human")
    .option("--confirm <phrase>", "with --from: the phrase of a risky task (repeat for each)", collect, [])
    .option("--strict", "with --from: treat plan warnings as errors")
    .option("--json", "machine output")
    .action(async (runArg: string | undefined, options: RunOptions, command: Command) => {
      const store = storeOf(command);
      let runId: RunId;
      if (options.from !== undefined) {
        if (runArg !== undefined) throw new PehError("USAGE", "give a run id or --from, not both");
        const created = await createRun(store, { workspace: process.cwd(), from: options.from, strict: options.strict });
        runId = created.run_id;
        const p = paint(io);
        io.out([`${p.bold("Run")} ${runId} · plan version 1`, ...renderPlan(io, created.plan), ...renderProblems(io, created.problems)].join("\n"));
        let actor = options.approveAs;
        const confirmations = [...options.confirm];
        if (actor === undefined && interactive()) {
          actor = await ask("Approve this plan? Type your name to approve (Ctrl-C to stop)");
          for (const risky of riskyTasksOf(created.plan)) {
            const typed = await ask(`Task ${risky.task_id} is risky. Type "${risky.phrase}" to approve it`);
            if (typed !== undefined) confirmations.push(typed);
          }
        }
        if (actor !== undefined) await approveRun(store, runId, { actor, confirmations });
      } else {
        runId = await resolveRunId(store, runArg);
      }
      const run = await RunHandle.open(store, runId);
      requireApproved(runId, run.state);
      throw new PehError(
        "NOT_IMPLEMENTED",
        `run ${runId} is approved, but execution is not built yet (issue 4)`,
        "npm run demo shows an approved plan executed on the embedded store",
      );
    });
}
