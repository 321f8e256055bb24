// `peh inspect [RUN]`: sends a run to the Stately inspector (runtime/inspector.ts). By default
// through @statelyai/inspect's local relay, which serves a page embedding the hosted inspector
// (that page needs internet); `--url` points at another relay, `--record FILE` writes the same
// stream as JSON lines without any network. A finished run is replayed event by event at
// `--speed`; a live run then streams as it goes.
import type { Command } from "commander";
import { PehError } from "../../events/index.js";
import { resolveRunId } from "../../runtime/store/run-id.js";
import { storeOf } from "../context.js";
import { RUN_ARGUMENT } from "../run-argument.js";
import { plural } from "../../projections/text/words.js";
import { printJson, type Io } from "../output.js";

interface InspectOptions {
  speed: string;
  record?: string;
  url?: string;
  port: string;
  open: boolean;
  follow: boolean;
  json?: boolean;
}

export function inspectCommand(program: Command, io: Io): void {
  program
    .command("inspect")
    .summary("send a run to the Stately inspector (or record the stream with --record)")
    .description(
      "Send a run to the Stately inspector: every machine (plan, bootstrap, tasks, workers) appears with its " +
        "definition, so its diagram draws, then every event of the log in order with the snapshots it changed. " +
        "A finished run is replayed at --speed events per second; a live run then streams until it ends (also with " +
        "--record; --no-follow stops at the end of the log).\n\n" +
        "By default peh starts @statelyai/inspect's local relay on --port and opens its page, which embeds the " +
        "hosted inspector at stately.ai (your browser needs internet for it). --url sends to a relay that is " +
        "already running. --record FILE writes the same inspection stream as JSON lines, with no network at all.",
    )
    .argument("[run]", RUN_ARGUMENT)
    .option("--speed <events>", "events per second when replaying (0: all at once)", "10")
    .option("--record <file>", "write the inspection stream to FILE (JSON lines) instead of sending it")
    .option("--url <ws-url>", "send to this relay (e.g. ws://localhost:8080) instead of starting one")
    .option("--port <port>", "the port of the local relay", "8080")
    .option("--no-open", "do not open a browser on the local relay's page")
    .option("--no-follow", "stop at the end of the log even if the run is live")
    .option("--json", "machine output: {run_id, events, recorded, file} or {run_id, events, url}")
    .addHelpText("after", "\nExamples:\n  peh inspect --record run.inspect.jsonl\n  peh inspect --speed 5\n  peh inspect --url ws://localhost:8080 --speed 0")
    .action(async (runArg: string | undefined, options: InspectOptions, command: Command) => {
      const speed = Number(options.speed);
      if (!Number.isFinite(speed) || speed < 0) throw new PehError("USAGE", `--speed wants events per second (≥ 0), not "${options.speed}"`);
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      // Loaded here: the inspector library (and its WebSocket stack) is only for this command.
      const { recordInspection, startRelay, streamToRelay } = await import("../../runtime/inspector.js");
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      const onFollow = () => io.out(`following ${runId} while it runs, until it ends (Ctrl-C stops)`);
      const following = { store, runId, follow: options.follow, signal: stop.signal, onFollow };
      try {
        if (options.record !== undefined) {
          const { recorded, events } = await recordInspection(options.record, following);
          if (options.json) printJson(io, { run_id: runId, events, recorded, file: options.record });
          else io.out(`recorded ${plural(recorded, "inspection event")} of ${runId} (${plural(events, "log event")}) to ${options.record}`);
          return;
        }
        const relay = options.url === undefined ? await startRelay(Number(options.port), options.open) : undefined;
        try {
          const url = options.url ?? `ws://localhost:${options.port}`;
          if (relay) io.out(`inspecting ${runId}: open http://localhost:${options.port} (the inspector page needs internet); Ctrl-C stops`);
          const last = await streamToRelay({ ...following, url, speed });
          if (options.json) printJson(io, { run_id: runId, events: last, url });
          else io.out(`sent ${plural(last, "event")} of ${runId} to ${url}`);
          // The local relay serves the page as long as peh runs: keep it until Ctrl-C.
          if (relay && !stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }));
        } finally {
          relay?.stop();
        }
      } finally {
        process.off("SIGINT", onSignal);
      }
    });
}
