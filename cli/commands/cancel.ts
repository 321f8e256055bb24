// `peh cancel [RUN] --as NAME [--reason TEXT]`: a human ends a run. The plan aborts, what has not
// run is skipped, and what runs is stopped by the `peh run` that runs it (which then exits 1).
import type { Command } from "commander";
import { runView } from "../../projections/run-view.js";
import { cancelRun } from "../../runtime/execution/cancel.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { actorOf, storeOf } from "../context.js";
import { paint, printJson, type Io } from "../output.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { readRun } from "../../runtime/store/read-run.js";

export function cancelCommand(program: Command, io: Io): void {
  program
    .command("cancel")
    .summary("end a run: nothing new starts, what runs is stopped")
    .description(
      "Cancel a run that is approved, executing or waiting (for a decision, for trust, or for a retry's due time). " +
        "Recorded as RUN_CANCELLED with who cancelled and why; the plan aborts and every task that has not run is " +
        "skipped (aborted). A `peh run` that is running it stops its running tasks' process groups, records them " +
        "interrupted, and exits 1 (aborted). With no `peh run` running it, the run ends at once. A run that has " +
        "ended, or was never approved (reject it instead), cannot be cancelled.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--as <name>", "who cancels (recorded in the log)")
    .option("--reason <text>", "why (recorded in the log)")
    .option("--json", "machine output: {run_id, cancelled_by, reason, state, stopping?, progress}")
    .addHelpText("after", '\nExamples:\n  peh cancel --as ana --reason "the release moved to Monday"\n  peh cancel r-20260115-142345-ab12 --as ana')
    .action(async (runArg: string | undefined, options: { as?: string; reason?: string; json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, "cancels");
      const reason = options.reason?.trim() || "no reason given";
      const cancelled = await cancelRun(store, runId, { actor, reason });
      const view = runView((await readRun(store, runId)).events);
      if (options.json) {
        printJson(io, { run_id: runId, cancelled_by: actor, reason, state: view.plan.state, ...(cancelled.kind === "stopping" ? { stopping: { pid: cancelled.holder } } : {}), progress: view.progress });
        return;
      }
      const p = paint(io);
      const { succeeded, skipped, total } = view.progress;
      io.out(
        cancelled.kind === "ended"
          ? `${p.green("✓")} cancelled ${runId} (by ${actor}): aborted, ${succeeded}/${total} succeeded, ${skipped} skipped`
          : `${p.green("✓")} cancelled ${runId} (by ${actor}): the peh run that runs it (pid ${cancelled.holder}) stops its running tasks and ends it`,
      );
    });
}
