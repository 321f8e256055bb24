// `peh replay [RUN] --at SEQ` (time travel) and `peh report [RUN]` (the outcome in Markdown):
// both rebuilt from the log alone.
import { clockTime } from "../../projections/log-view.js";
import type { Command } from "commander";
import { PehError } from "../../events/index.js";
import { runStateAt } from "../../projections/state-at.js";
import { renderReport } from "../../projections/report.js";
import { statusOf } from "../../projections/status.js";
import { readRun } from "../../runtime/read-run.js";
import { resolveRunId } from "../../runtime/run-id.js";
import { storeOf } from "../context.js";
import { paint, printJson, type Io } from "../output.js";
import { renderStatus } from "./status.js";

export function replayCommand(program: Command, io: Io): void {
  program
    .command("replay")
    .summary("time travel: the state of every machine right after event SEQ")
    .description(
      "Rebuild a run from its log up to event SEQ and show the state of every machine right after it: the plan, " +
        "the bootstrap, every task with its ledger, the workers, and what the run waited for then. `peh log` shows " +
        "each event's seq. SEQ 0 is before the first event; a SEQ beyond the log is an error.",
    )
    .argument("[run]", "run id (default: the most recent)")
    .requiredOption("--at <seq>", "the event to stop after")
    .option("--json", "machine output")
    .addHelpText("after", "\nExample:\n  peh replay --at 14 --json")
    .action(async (runArg: string | undefined, options: { at: string; json?: boolean }, command: Command) => {
      if (!/^\d+$/.test(options.at)) throw new PehError("USAGE", `--at wants an event's seq (a whole number ≥ 0), not "${options.at}"`, "peh log shows each event's seq");
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const { events } = await readRun(store, runId);
      const seq = Number(options.at);
      const status = statusOf(runStateAt(events, seq));
      const event = events[seq - 1];
      if (options.json) {
        printJson(io, { after: { seq, event: event?.type ?? null, timestamp: event?.at ?? null }, ...status });
        return;
      }
      const p = paint(io);
      io.out([p.bold(`As of event #${seq}${event ? ` ${event.type} at ${clockTime(event.at)}` : " (before the first event)"} of ${events.length}`), ...renderStatus(io, status)].join("\n"));
    });
}

export function reportCommand(program: Command, io: Io): void {
  program
    .command("report")
    .summary("the outcome report of a run, in Markdown")
    .description(
      "Print a run's outcome report in Markdown, from its log alone: the objective, the plan version and who " +
        "approved it, every task the log shows (in plan order) with its outcome, attempts, time and evidence, the " +
        "recoveries and decisions, the plan changes, and the totals. Works on a finished, live or crashed run.",
    )
    .argument("[run]", "run id (default: the most recent)")
    .addHelpText("after", "\nExample:\n  peh report > report.md")
    .action(async (runArg: string | undefined, _options: unknown, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      io.out(renderReport((await readRun(store, runId)).events));
    });
}
