// `peh log [RUN] [--json] [--follow [--no-output]]`: the execution log, one line per event, from the log
// alone; following a live run, its attempts' output between the events, from the store's output.
import type { Command } from "commander";
import { RUN_ENDING_EVENTS, logJson, logReader } from "../../projections/log-view.js";
import { readRun } from "../../runtime/store/read-run.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import type { Io } from "../output.js";
import { renderLogLine, renderOutputLine } from "../render/log.js";
import { LiveOutput } from "../../runtime/live-output.js";

export function logCommand(program: Command, io: Io): void {
  program
    .command("log")
    .summary("the execution log: one line per event")
    .description(
      "Print a run's execution log, one line per event in order: time (in your zone, from TZ, with its offset), " +
        "event, the task and its place in the plan, and the details that matter (approver and version, class and " +
        "evidence, decision and actor, outcome and counts). --json prints JSON lines (timestamp in ISO-8601 UTC, " +
        "event, task_id, task_name, details, seq, actor). --follow " +
        "keeps printing a live run's events until it ends (Ctrl-C stops following; the run goes on), and between them " +
        "the lines its attempts print while they run (`build#1 │ …`, escaped; on a PostgreSQL store from whichever host " +
        "runs them); --no-output leaves those out, and --json never has them (peh output has every attempt's).",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--json", "JSON lines: one object per event; an error is one line {\"error\": {code, message, hint}}")
    .option("--follow", "stream a live run until it ends, with its attempts' output as they print it")
    .option("--no-output", "with --follow: the events only, not the attempts' output")
    .action(async (runArg: string | undefined, options: { json?: boolean; follow?: boolean; output: boolean }, command: Command) => {
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
      // The attempts' output between the events, as they print it (the text form only).
      const live = options.output && !options.json ? new LiveOutput(store, runId, (line) => io.out(renderOutputLine(io, line))) : undefined;
      try {
        await live?.seen(events);
        live?.start();
        for await (const event of store.follow(runId, { from: (events.at(-1)?.seq ?? 0) + 1, signal: stop.signal })) {
          await live?.before(event);
          print(read(event));
          if (RUN_ENDING_EVENTS.has(event.type)) break;
        }
      } finally {
        process.off("SIGINT", onSignal);
        await live?.stop();
      }
    });
}
