// `peh replay [RUN] --at SEQ` (time travel) and `peh report [RUN]` (the outcome in Markdown):
// both rebuilt from the log alone.
import type { Command } from "commander";
import { PehError } from "../../events/index.js";
import { runStateAt } from "../../projections/state-at.js";
import { renderReport, reportOf } from "../../projections/report.js";
import { statusOf } from "../../projections/status.js";
import { readRun } from "../../runtime/store/read-run.js";
import { descendantsOf } from "../../runtime/lineage/descendants.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { localTime } from "../time.js";
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
    .argument("[run]", RUN_ARGUMENT)
    .requiredOption("--at <seq>", "the event to stop after")
    .option("--json", "machine output")
    .addHelpText("after", "\nExample:\n  peh replay --at 14 --json")
    .action(async (runArg: string | undefined, options: { at: string; json?: boolean }, command: Command) => {
      if (!/^\d+$/.test(options.at)) throw new PehError("USAGE", `--at wants an event's seq (a whole number ≥ 0), not "${options.at}"`, "peh log shows each event's seq");
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const { events } = await readRun(store, runId);
      const seq = Number(options.at);
      const state = runStateAt(events, seq);
      const status = statusOf(state);
      const event = events[seq - 1];
      if (options.json) {
        printJson(io, { after: { seq, event: event?.type ?? null, timestamp: event?.at ?? null }, ...status, run_id: runId });
        return;
      }
      const p = paint(io);
      const heading = p.bold(`As of event #${seq}${event ? ` ${event.type} at ${localTime(event.at)}` : " (before the first event)"} of ${events.length}`);
      if (state.plan_spec === null) {
        // Before its plan a run has no tasks, version or objective: say so rather than print blanks.
        const created = events.find((e) => e.type === "PLAN_CREATED");
        io.out(`${heading}\nRun ${runId} has no plan yet at event #${seq}${created ? `: its plan is recorded at event #${created.seq} (PLAN_CREATED)` : ""}.`);
        return;
      }
      io.out([heading, ...renderStatus(io, status)].join("\n"));
    });
}

export function reportCommand(program: Command, io: Io): void {
  program
    .command("report")
    .summary("the outcome report of a run, in Markdown")
    .description(
      "Print a run's outcome report in Markdown, from its log alone: the objective, the plan version and who " +
        "approved it, every task the log shows (in plan order) with its outcome, attempts, time and evidence, the " +
        "recoveries and decisions (failures skipped by policy or by a human are named in the outcome), the plan changes, and the totals. Times are in your zone (TZ), with its offset. Works on a finished, live or crashed run.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--json", "the report's data (tasks, recoveries, decisions, totals; times in ISO-8601 UTC), not Markdown")
    .addHelpText("after", "\nExamples:\n  peh report > report.md\n  peh report --json | jq '.tasks[] | select(.outcome != \"succeeded\")'")
    .action(async (runArg: string | undefined, options: { json?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const descendants = (await descendantsOf(store, runId)).map(({ run_id, lineage }) => ({ run_id, lineage }));
      const report = reportOf((await readRun(store, runId)).events, descendants);
      if (options.json) printJson(io, report);
      else io.out(renderReport(report, localTime));
    });
}
