// The inspector bridge: a run's inspection stream (projections/inspection.ts) delivered through
// @statelyai/inspect, either over its WebSocket inspector to a relay (its local one, or another),
// or through the library's own inspector into a file of JSON lines (no network).
import { open } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { createInspector, createWebSocketInspector, type StatelyInspectionEvent } from "@statelyai/inspect";
import { PehError, type EventStore, type PehEvent, type RunId } from "../events/index.js";
import { Inspection, type InspectionStep } from "../projections/inspection.js";
import { RUN_ENDING_EVENTS } from "../projections/log-view.js";
import { delay } from "./execution/delay.js";
import { readRun } from "./store/read-run.js";

type Inspector = ReturnType<typeof createInspector>;

export interface FollowingOptions {
  store: EventStore;
  runId: RunId;
  /** Keep streaming a live run's new events until it ends. */
  follow: boolean;
  signal: AbortSignal;
  /** Called once the events logged so far have gone and the live run is followed. */
  onFollow?: () => void;
}

export interface StreamOptions extends FollowingOptions {
  url: string;
  /** Log events per second while replaying (0: all at once). */
  speed: number;
}

/**
 * A run's events in log order: those logged so far (each after `pace`), then, when following a
 * run that has not ended, every new one as it is appended, until the run ends or `signal` aborts.
 */
async function* runEvents(options: FollowingOptions, pace?: () => Promise<void>): AsyncGenerator<PehEvent> {
  const { store, runId, signal } = options;
  // Judged like every read: an edited or illegal log is refused, not shown.
  const { events } = await readRun(store, runId);
  for (const event of events) {
    if (signal.aborted) return;
    yield event;
    if (pace) await pace();
  }
  const last = events.at(-1);
  if (!options.follow || (last && RUN_ENDING_EVENTS.has(last.type)) || signal.aborted) return;
  options.onFollow?.();
  for await (const event of store.follow(runId, { from: (last?.seq ?? 0) + 1, signal })) {
    yield event;
    if (RUN_ENDING_EVENTS.has(event.type)) return;
  }
}

/** Sends a run to the relay at `url`; resolves with the last seq sent once it has left. */
export async function streamToRelay(options: StreamOptions): Promise<number> {
  const inspection = new Inspection(options.runId);
  const inspector = createWebSocketInspector({ url: options.url, maxDeferredEvents: Number.MAX_SAFE_INTEGER });
  try {
    await connected(inspector, options.url, options.signal);
    let last = 0;
    const pace = options.speed > 0 ? () => pause(1000 / options.speed, options.signal) : undefined;
    for await (const event of runEvents(options, pace)) {
      send(inspector, inspection.next(event));
      last = event.seq;
    }
    await drained(inspector);
    return last;
  } finally {
    inspector.stop();
  }
}

/**
 * The same stream, through the library's own inspector, into a file: each line written as its
 * event comes, so a live run can be watched in the file while it is followed.
 */
export async function recordInspection(file: string, options: FollowingOptions): Promise<{ recorded: number; events: number }> {
  const inspection = new Inspection(options.runId);
  // Opened first, so that a path that cannot be written is a usage error, not a stream's crash.
  const handle = await open(file, "w").catch((error: NodeJS.ErrnoException) => {
    const why = error.code === "ENOENT" ? "its directory does not exist" : error.code === "EISDIR" ? "it is a directory" : `${error.code ?? error.message}`;
    throw new PehError("USAGE", `cannot write ${file}: ${why}`, "pass --record a file in a directory that exists and that you may write");
  });
  const out = handle.createWriteStream();
  let recorded = 0;
  let events = 0;
  const inspector = createInspector({
    send(event: StatelyInspectionEvent) {
      out.write(`${JSON.stringify(event)}\n`);
      recorded++;
    },
  });
  try {
    for await (const event of runEvents(options)) {
      send(inspector, inspection.next(event));
      events++;
    }
  } finally {
    out.end();
    await finished(out);
  }
  return { recorded, events };
}

/** The library's local relay: serves a page embedding the hosted inspector, and relays to it. */
export async function startRelay(port: number, open: boolean): Promise<{ stop(): void }> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PehError("USAGE", `--port wants a port number, not "${port}"`);
  const { createInspectorServer } = await import("@statelyai/inspect/server");
  return createInspectorServer({ port, autoOpen: open });
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

const pause = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, signal).done;
