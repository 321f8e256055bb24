// `peh output [RUN] TASK [--attempt N] [--raw] [--json]`: what an attempt of a task printed, from
// its attempt log. Escaped for the terminal by default: a task's colours, title changes, screen
// clears and carriage returns are shown as `\x1b…`, `\r`, never obeyed. --raw prints them as they came.
import type { Command } from "commander";
import { PehError } from "../../events/index.js";
import { printable } from "../../projections/text/printable.js";
import { attemptOutput } from "../../runtime/attempt-output.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { storeOf } from "../context.js";
import { paint, printJson, type Io } from "../output.js";

interface OutputOptions {
  attempt?: string;
  raw?: boolean;
  json?: boolean;
}

export function outputCommand(program: Command, io: Io): void {
  program
    .command("output")
    .usage("[run] <task> [options]")
    .summary("what an attempt of a task printed (its attempt log)")
    .description(
      "Print what a task's attempt printed, from its attempt log (.peh/runs/<run>/attempts/<task>#<attempt>.log): " +
        "each command it ran (the task's own, then its acceptance tests) as `$ command`, its output, and its exit. " +
        "The latest attempt by default. Secrets were redacted before the log was written. Control characters " +
        "(colours, title changes, screen clears, carriage returns, bells) are shown escaped, as \\x1b or \\r; " +
        "--raw prints the log as it was written. A log past its limit ($PEH_ATTEMPT_LOG_MAX, default 1 MiB) keeps " +
        "its head and tail and says how many bytes it left out. RUN defaults to the most recent run.",
    )
    .argument("<run-or-task>", "the task, or the run id when a task follows")
    .argument("[task]", "the task (when a run id comes first)")
    .option("--attempt <n>", "which attempt (default: the latest)")
    .option("--raw", "print the log as it was written, control characters and all")
    .option("--json", "machine output: run, task, attempt, attempts, state, log path, output")
    .addHelpText("after", "\nExamples:\n  peh output deploy               # the latest attempt of task deploy in the latest run\n  peh output r-20261124-0912-ab12 deploy --attempt 1\n  peh output deploy --raw | less -R")
    .action(async (first: string, second: string | undefined, options: OutputOptions, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, second === undefined ? undefined : first);
      const task = second ?? first;
      let attempt: number | undefined;
      if (options.attempt !== undefined) {
        if (!/^\d+$/.test(options.attempt) || Number(options.attempt) < 1) throw new PehError("USAGE", `--attempt wants an attempt's number (1, 2, …), not "${options.attempt}"`, `peh status ${runId} shows each task's attempts`);
        attempt = Number(options.attempt);
      }
      const found = await attemptOutput(store, runId, task, attempt);
      if (options.json) {
        printJson(io, found);
        return;
      }
      if (options.raw) {
        io.out(found.output);
        return;
      }
      const p = paint(io);
      // On stderr, so that stdout is the log alone, for a pipe or a file.
      io.err(p.dim(`── ${found.task_id}, attempt ${found.attempt} of ${found.attempts} (${found.state.replaceAll("_", " ")}) · ${found.log}`));
      io.out(printable(found.output));
    });
}
