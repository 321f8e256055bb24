// `peh land [RUN] --as NAME`: brings a completed run's branch `peh/<run>` into the branch you have
// checked out (a fast-forward only), and logs it; otherwise says exactly what to run.
import type { Command } from "commander";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { landCompletedRun } from "../../runtime/workspace/land.js";
import { actorOf, storeOf } from "../context.js";
import { paint, printJson, type Io } from "../output.js";
import { RUN_ARGUMENT } from "../run-argument.js";

export function landCommand(program: Command, io: Io): void {
  program
    .command("land")
    .summary("bring a completed run's branch peh/<run> into your current branch")
    .description(
      "For a run whose tasks ran with isolation: worktree: fast-forward the branch you have checked out to the " +
        "run's branch peh/<run> (one commit per task), with git's own `merge --ff-only`, which never overwrites " +
        "local changes. Recorded as RUN_LANDED. When it is not a fast-forward (your branch moved since the run " +
        "started, or local changes are in the way), nothing is changed and peh prints the git command to run.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--as <name>", "who lands it (recorded in the log)")
    .option("--json", "machine output: {run_id, branch, from, to, already}")
    .addHelpText("after", "\nExamples:\n  peh land --as ana\n  git log --oneline peh/r-20260115-142345-ab12   # review it first")
    .action(async (runArg: string | undefined, options: { as?: string; json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const actor = await actorOf(options.as, "lands the run");
      const landed = await landCompletedRun(store, runId, actor);
      if (options.json) {
        printJson(io, { run_id: runId, branch: landed.branch, from: landed.from, to: landed.to, already: landed.already });
        return;
      }
      const p = paint(io);
      io.out(
        landed.already
          ? `${p.green("✓")} ${landed.branch} already holds peh/${runId} (${landed.to.slice(0, 10)})`
          : `${p.green("✓")} landed peh/${runId} on ${landed.branch}: ${landed.from.slice(0, 10)} → ${landed.to.slice(0, 10)}`,
      );
    });
}
