// `peh inspect [RUN]`: sends a run to the Stately inspector through @statelyai/inspect's
// WebSocket inspector. By default through its local relay (createInspectorServer), which serves
// a page embedding the hosted inspector (that page needs internet); `--url` points at another
// relay, `--record FILE` writes the same stream as JSON lines without any network. A finished
// run is replayed event by event at `--speed`; a live run then streams as it goes.
import { createWriteStream } from "node:fs";
import type { Command } from "commander";
import { createInspector, createWebSocketInspector, type StatelyInspectionEvent } from "@statelyai/inspect";
import { PehError, type PehEvent } from "../../events/index.js";
import { Inspection, type InspectionStep } from "../../projections/inspection.js";
import { resolveRunId } from "../../runtime/gate.js";
import { storeOf } from "../context.js";
import type { Io } from "../output.js";

interface InspectOptions {
  speed: string;
  record?: string;
  url?: string;
  port: string;
  open: boolean;
  follow: boolean;
}

type Inspector = ReturnType<typeof createInspector>;
const ENDS = new Set(["EXECUTION_COMPLETE", "GATE_REJECTED"]);

export function inspectCommand(program: Command, io: Io): void {
  program
    .command("inspect")
    .summary("send a run to the Stately inspector (or record the stream with --record)")
    .description(
      "Send a run to the Stately inspector: every machine (plan, bootstrap, tasks, workers) appears with its " +
        "definition, so its diagram draws, then every event of the log in order with the snapshots it changed. " +
        "A finished run is replayed at --speed events per second; a live run then streams until it ends.\n\n" +
        "By default peh starts @statelyai/inspect's local relay on --port and opens its page, which embeds the " +
        "hosted inspector at stately.ai (your browser needs internet for it). --url sends to a relay that is " +
        "already running. --record FILE writes the same inspection stream as JSON lines, with no network at all.",
    )
    .argument("[run]", "run id (default: the most recent)")
    .option("--speed <events>", "events per second when replaying (0: all at once)", "10")
    .option("--record <file>", "write the inspection stream to FILE (JSON lines) instead of sending it")
    .option("--url <ws-url>", "send to this relay (e.g. ws://localhost:8080) instead of starting one")
    .option("--port <port>", "the port of the local relay", "8080")
    .option("--no-open", "do not open a browser on the local relay's page")
    .option("--no-follow", "stop at the end of the log even if the run is live")
    .addHelpText("after", "\nExamples:\n  peh inspect --record run.inspect.jsonl\n  peh inspect --speed 5\n  peh inspect --url ws://localhost:8080 --speed 0")
    .action(async (runArg: string | undefined, options: InspectOptions, command: Command) => {
      const speed = Number(options.speed);
      if (!Number.isFinite(speed) || speed < 0) throw new PehError("USAGE", `--speed wants events per second (≥ 0), not "${options.speed}"`);
      const store = storeOf(command);
      const runId = await resolveRunId(store, runArg);
      const events = await store.read(runId);
      const inspection = new Inspection(runId);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      try {
        if (options.record !== undefined) {
          const count = await record(options.record, inspection, events);
          io.out(`recorded ${count} inspection events of ${runId} (${events.length} log events) to ${options.record}`);
          return;
        }
        const relay = options.url === undefined ? await startRelay(Number(options.port), options.open) : undefined;
        const url = options.url ?? `ws://localhost:${options.port}`;
        const inspector = createWebSocketInspector({ url, maxDeferredEvents: Number.MAX_SAFE_INTEGER });
        try {
          await connected(inspector, url, stop.signal);
          if (relay) io.out(`inspecting ${runId}: open http://localhost:${options.port} (the inspector page needs internet); Ctrl-C stops`);
          let last = events.at(-1);
          for (const event of events) {
            if (stop.signal.aborted) break;
            send(inspector, inspection.next(event));
            if (speed > 0) await pause(1000 / speed, stop.signal);
          }
          if (options.follow && last && !ENDS.has(last.type)) {
            for await (const event of store.follow(runId, { from: last.seq + 1, signal: stop.signal })) {
              send(inspector, inspection.next(event));
              last = event;
              if (ENDS.has(event.type)) break;
            }
          }
          await drained(inspector);
          io.out(`sent ${last?.seq ?? 0} events of ${runId} to ${url}`);
          // The local relay serves the page as long as peh runs: keep it until Ctrl-C.
          if (relay && !stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }));
        } finally {
          inspector.stop();
          relay?.stop();
        }
      } finally {
        process.off("SIGINT", onSignal);
      }
    });
}

function send(inspector: Inspector, steps: InspectionStep[]): void {
  for (const step of steps) {
    if (step.kind === "actor") {
      // A ref with the machine's config, not a bare id: without it no diagram is drawn.
      const ref = { sessionId: step.sessionId, logic: { config: step.machine.config } } as never;
      inspector.actor(ref, step.snapshot as never, step.parentId ? { parentId: step.parentId } : {});
    } else if (step.kind === "event") {
      inspector.event(step.sessionId, step.event);
    } else {
      inspector.snapshot(step.sessionId, step.snapshot as never, { event: step.event });
    }
  }
}

/** The same stream, through the library's own inspector, into a file. */
async function record(file: string, inspection: Inspection, events: readonly PehEvent[]): Promise<number> {
  const out = createWriteStream(file);
  let count = 0;
  const inspector = createInspector({
    send(event: StatelyInspectionEvent) {
      out.write(`${JSON.stringify(event)}\n`);
      count++;
    },
  });
  for (const event of events) send(inspector, inspection.next(event));
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return count;
}

async function startRelay(port: number, open: boolean): Promise<{ stop(): void }> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PehError("USAGE", `--port wants a port number, not "${port}"`);
  const { createInspectorServer } = await import("@statelyai/inspect/server");
  return createInspectorServer({ port, autoOpen: open });
}

/** The WebSocket adapter's socket (not in its public types). */
function socketOf(inspector: Inspector): { readyState: number; bufferedAmount: number } | undefined {
  return (inspector.adapter as unknown as { ws?: { readyState: number; bufferedAmount: number } }).ws;
}

/** Waits until the inspector's socket is open (10 s at most), so that no event is held back. */
async function connected(inspector: Inspector, url: string, signal: AbortSignal): Promise<void> {
  const limit = Number(process.env.PEH_INSPECT_CONNECT_MS ?? 10_000);
  for (let waited = 0; socketOf(inspector)?.readyState !== 1; waited += 25) {
    if (signal.aborted) return;
    if (waited >= limit) throw new PehError("INSPECTOR_UNREACHABLE", `no inspector relay answers at ${url}`, "start one (peh inspect without --url starts it), or check --url; --record FILE needs no network");
    await pause(25, signal);
  }
}

/** Waits until everything sent has left the socket. */
async function drained(inspector: Inspector): Promise<void> {
  for (let waited = 0; (socketOf(inspector)?.bufferedAmount ?? 0) > 0 && waited < 10_000; waited += 25) await pause(25);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
