// `peh log [RUN] [--json] [--follow]`: the execution log, one line per event, from the log alone.
import type { Command } from "commander";
import { RUN_ENDING_EVENTS, logJson, logReader } from "../../projections/log-view.js";
import { readRun } from "../../runtime/store/read-run.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import type { Io } from "../output.js";
import { renderLogLine } from "../render/log.js";

export function logCommand(program: Command, io: Io): void {
  program
    .command("log")
    .summary("the execution log: one line per event")
    .description(
      "Print a run's execution log, one line per event in order: time (in your zone, from TZ, with its offset), " +
        "event, the task and its place in the plan, and the details that matter (approver and version, class and " +
        "evidence, decision and actor, outcome and counts). --json prints JSON lines (timestamp in ISO-8601 UTC, " +
        "event, task_id, task_name, details, seq, actor). --follow " +
        "keeps printing a live run's events until it ends (Ctrl-C stops following; the run goes on).",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--json", "JSON lines: one object per event; an error is one line {\"error\": {code, message, hint}}")
    .option("--follow", "stream a live run until it ends")
    .action(async (runArg: string | undefined, options: { json?: boolean; follow?: boolean }, command: Command) => {
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const read = logReader();
      // JSON lines: one compact object per event (an error that stops the log is one more line).
      const print = (entry: ReturnType<typeof read>) => (options.json ? io.line(logJson(entry)) : io.out(renderLogLine(io, entry)));
      const { events } = await readRun(store, runId);
      for (const event of events) print(read(event));
      if (!options.follow || events.some((event) => RUN_ENDING_EVENTS.has(event.type))) return;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      try {
        for await (const event of store.follow(runId, { from: (events.at(-1)?.seq ?? 0) + 1, signal: stop.signal })) {
          print(read(event));
          if (RUN_ENDING_EVENTS.has(event.type)) break;
        }
      } finally {
        process.off("SIGINT", onSignal);
      }
    });
}
