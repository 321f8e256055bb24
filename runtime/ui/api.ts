// The read side of `peh ui`: a run's events from a seq and its live stream (Server-Sent Events,
// `id:` = seq, so a reconnect resumes with Last-Event-ID), and the live list of the store's runs
// (runs-feed.ts). Everything through the EventStore interface: it works on any store.
import type { IncomingMessage, ServerResponse } from "node:http";
import { PehError, RunIdSchema, type EventStore, type RunId } from "../../events/index.js";
import type { RunsFeed } from "./runs-feed.js";

/** The run named in a path, which must exist in the store. */
export async function runOf(store: EventStore, text: string): Promise<RunId> {
  const parsed = RunIdSchema.safeParse(decodeURIComponent(text));
  if (!parsed.success || (await store.version(parsed.data)) === 0) {
    throw new PehError("RUN_NOT_FOUND", `no run ${JSON.stringify(text)} in this store`, "the runs page lists the runs of the store peh ui serves");
  }
  return parsed.data;
}

/** A seq from the query (`from`) or the Last-Event-ID header (the last one seen: resume after it). */
export function firstSeq(request: IncomingMessage, query: URLSearchParams): number {
  const lastSeen = request.headers["last-event-id"];
  if (typeof lastSeen === "string" && /^\d+$/.test(lastSeen)) return Number(lastSeen) + 1;
  const from = query.get("from");
  if (from === null) return 1;
  if (!/^\d+$/.test(from) || Number(from) < 1) throw new PehError("USAGE", `from wants a seq (1, 2, …), not ${JSON.stringify(from)}`);
  return Number(from);
}

/** How often the stream says it is alive, so proxies and the browser keep it open. */
const HEARTBEAT_MS = 15_000;

/** Opens an event stream: its headers, the browser's reconnect delay and a heartbeat; `signal` aborts when the client goes. */
function openStream(request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): { signal: AbortSignal; heartbeat: ReturnType<typeof setInterval> } {
  response.writeHead(200, { ...headers, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
  response.write("retry: 1000\n\n");
  const controller = new AbortController();
  const stop = () => controller.abort();
  request.on("close", stop);
  response.on("close", stop);
  const heartbeat = setInterval(() => response.write(": alive\n\n"), HEARTBEAT_MS);
  heartbeat.unref();
  return { signal: controller.signal, heartbeat };
}

/** Streams the run's events from `from` on, then live, until the client goes. */
export async function streamRun(store: EventStore, runId: RunId, from: number, request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): Promise<void> {
  const { signal, heartbeat } = openStream(request, response, headers);
  try {
    for await (const event of store.follow(runId, { from, signal })) {
      response.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
    }
  } finally {
    clearInterval(heartbeat);
    response.end();
  }
}

/**
 * Streams the store's runs: first the whole list (`event: runs`), then each run that appears or
 * changes (`event: run`) and each that is gone (`event: removed`), until the client goes. The id
 * is the list's fingerprint after a change (on its last message only): a reconnect whose
 * Last-Event-ID is the list the server holds gets only what changes next, any other the whole list
 * again, so a dropped connection never leaves the page with a stale list.
 */
export async function streamRuns(feed: RunsFeed, request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): Promise<void> {
  await feed.current();
  const { signal, heartbeat } = openStream(request, response, headers);
  const send = (event: string, data: unknown, id?: string) => response.write(`event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
  // Taken and subscribed in one tick: no change can fall between the list and the first change.
  const held = feed.snapshot();
  const unsubscribe = feed.subscribe((change) => {
    const messages: [string, unknown][] = [...change.changed.map((entry): [string, unknown] => ["run", entry]), ...change.removed.map((runId): [string, unknown] => ["removed", { run_id: runId }])];
    messages.forEach(([event, data], index) => send(event, data, index === messages.length - 1 ? change.id : undefined));
  });
  if (request.headers["last-event-id"] !== held.id) send("runs", { runs: held.runs }, held.id);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
  unsubscribe();
  clearInterval(heartbeat);
  response.end();
}
