// The read side of `peh ui`: the runs of the store with their state and counts, a run's events
// from a seq, and its live stream (Server-Sent Events, `id:` = seq, so a reconnect resumes with
// Last-Event-ID). Everything through the EventStore interface: it works on any store.
import type { IncomingMessage, ServerResponse } from "node:http";
import { PehError, RunIdSchema, type EventStore, type RunId } from "../../events/index.js";
import { statusOf } from "../../projections/status.js";
import { viewStateOf } from "../view-state.js";

export interface RunListEntry {
  run_id: string;
  objective: string | null;
  state: string;
  events: number;
  created_at: string;
  updated_at: string;
  progress: ReturnType<typeof statusOf>["progress"];
  awaited: number;
}

export async function listRuns(store: EventStore): Promise<RunListEntry[]> {
  const entries: RunListEntry[] = [];
  for (const summary of await store.listRuns()) {
    const status = statusOf((await viewStateOf(store, summary.run_id)).state);
    entries.push({
      run_id: summary.run_id,
      objective: status.objective,
      state: status.service ? "serving" : status.plan.state,
      events: summary.events,
      created_at: summary.created_at,
      updated_at: summary.updated_at,
      progress: status.progress,
      awaited: status.awaited.length,
    });
  }
  return entries.reverse();
}

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

/** Streams the run's events from `from` on, then live, until the client goes. */
export async function streamRun(store: EventStore, runId: RunId, from: number, request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): Promise<void> {
  response.writeHead(200, { ...headers, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
  response.write("retry: 1000\n\n");
  const controller = new AbortController();
  const stop = () => controller.abort();
  request.on("close", stop);
  response.on("close", stop);
  const heartbeat = setInterval(() => response.write(": alive\n\n"), HEARTBEAT_MS);
  heartbeat.unref();
  try {
    for await (const event of store.follow(runId, { from, signal: controller.signal })) {
      response.write(`id: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`);
    }
  } finally {
    clearInterval(heartbeat);
    response.end();
  }
}
