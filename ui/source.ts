// Where the page's data comes from: the `peh ui` server (fetch with the token header, one
// EventSource per run keyed on seq, one for the list of runs), or the events inlined by
// `peh export --html` (read-only).
import type { PehEvent } from "../events/index.js";
import type { RunListEntry } from "../projections/status.js";
import type { Prefetched } from "./prefetch.js";


export interface Refusal {
  code: string;
  message: string;
  hint?: string;
}

export type ActionAnswer = { ok: true; message: string } | { ok: false; error: Refusal };

export interface Source {
  readonly readOnly: boolean;
  /** The runs, newest first, then again each time one appears or changes, until the returned stop is called. */
  watchRuns(onRuns: (runs: RunListEntry[]) => void, onStatus: (live: boolean) => void, onError: (message: string) => void): () => void;
  /** Every event of the run, then each new one as it is appended, until the returned stop is called. */
  follow(runId: string, onEvents: (events: PehEvent[]) => void, onStatus: (live: boolean) => void): () => void;
  act(runId: string, action: string, body: object): Promise<ActionAnswer>;
  output(runId: string, task: string, attempt: number): Promise<string>;
}

export class ServerSource implements Source {
  readonly readOnly = false;
  constructor(private readonly token: string) {}

  private async getJson<T>(path: string): Promise<T> {
    const response = await fetch(path, { headers: { "x-peh-token": this.token } });
    const body = (await response.json()) as T & { error?: Refusal };
    if (!response.ok) throw new Error(body.error ? `${body.error.message}${body.error.hint ? ` — ${body.error.hint}` : ""}` : `HTTP ${response.status}`);
    return body;
  }

  watchRuns(onRuns: (runs: RunListEntry[]) => void, onStatus: (live: boolean) => void, onError: (message: string) => void): () => void {
    const runs = new Map<string, RunListEntry>();
    const tell = () => onRuns([...runs.values()].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.run_id.localeCompare(a.run_id)));
    // The server sends the whole list first, then each run that appears or changes; a reconnect
    // (Last-Event-ID: the list last seen) gets the whole list again unless nothing changed.
    const stream = new EventSource(`/api/runs/stream?token=${encodeURIComponent(this.token)}`);
    stream.addEventListener("runs", (message) => {
      runs.clear();
      for (const run of (JSON.parse((message as MessageEvent<string>).data) as { runs: RunListEntry[] }).runs) runs.set(run.run_id, run);
      tell();
    });
    stream.addEventListener("run", (message) => {
      const run = JSON.parse((message as MessageEvent<string>).data) as RunListEntry;
      runs.set(run.run_id, run);
      tell();
    });
    stream.addEventListener("removed", (message) => {
      runs.delete((JSON.parse((message as MessageEvent<string>).data) as { run_id: string }).run_id);
      tell();
    });
    stream.onopen = () => onStatus(true);
    stream.onerror = () => {
      onStatus(false);
      // A refused stream (a wrong token) is not retried by the browser: say why, as the API does.
      if (stream.readyState === EventSource.CLOSED) void this.getJson("/api/runs").catch((error: Error) => onError(error.message));
    };
    return () => stream.close();
  }

  follow(runId: string, onEvents: (events: PehEvent[]) => void, onStatus: (live: boolean) => void): () => void {
    let stream: EventSource | undefined;
    let stopped = false;
    let last = 0;
    const run = encodeURIComponent(runId);
    void this.firstEvents(runId).then(({ events }) => {
      if (stopped) return;
      if (events.length > 0) {
        last = events.at(-1)!.seq;
        onEvents(events);
      }
      // The stream resumes after the last seq it delivered (Last-Event-ID), so a reconnect loses nothing.
      stream = new EventSource(`/api/runs/${run}/stream?from=${last + 1}&token=${encodeURIComponent(this.token)}`);
      let batch: PehEvent[] = [];
      let scheduled = false;
      stream.onmessage = (message) => {
        const event = JSON.parse(message.data as string) as PehEvent;
        if (event.seq <= last) return;
        last = event.seq;
        batch.push(event);
        if (scheduled) return;
        scheduled = true;
        // Events arrive in bursts: hand them over once per frame.
        requestAnimationFrame(() => {
          scheduled = false;
          const ready = batch;
          batch = [];
          onEvents(ready);
        });
      };
      stream.onopen = () => onStatus(true);
      stream.onerror = () => onStatus(false);
    });
    return () => {
      stopped = true;
      stream?.close();
    };
  }

  /** The run's events so far: the answer prefetch.js asked for when the page opened on this run, else a fetch. */
  private async firstEvents(runId: string): Promise<{ events: PehEvent[] }> {
    const holder = window as unknown as { pehPrefetch?: Prefetched };
    const prefetched = holder.pehPrefetch;
    holder.pehPrefetch = undefined;
    if (prefetched?.run === runId) {
      const response = await prefetched.events.catch(() => undefined);
      if (response?.ok) return (await response.json()) as { events: PehEvent[] };
    }
    return this.getJson<{ events: PehEvent[] }>(`/api/runs/${encodeURIComponent(runId)}/events`);
  }

  async act(runId: string, action: string, body: object): Promise<ActionAnswer> {
    const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/${action}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-peh-token": this.token },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { message?: string; error?: Refusal };
    return response.ok ? { ok: true, message: answer.message ?? "done" } : { ok: false, error: answer.error ?? { code: "HTTP", message: `HTTP ${response.status}` } };
  }

  async output(runId: string, task: string, attempt: number): Promise<string> {
    const answer = await this.getJson<{ output: string }>(`/api/runs/${encodeURIComponent(runId)}/output?task=${encodeURIComponent(task)}&attempt=${attempt}`);
    return answer.output;
  }
}

/** What `peh export --html` inlines. */
export interface ExportData {
  run_id: string;
  exported_at: string;
  events: PehEvent[];
  /** Attempt outputs by `task#attempt`, when the export carried them. */
  outputs?: Record<string, string>;
}

export class StaticSource implements Source {
  readonly readOnly = true;
  constructor(private readonly data: ExportData) {}

  watchRuns(onRuns: (runs: RunListEntry[]) => void, onStatus: (live: boolean) => void): () => void {
    // An export holds one run: the page shows it, never a list.
    onRuns([]);
    onStatus(false);
    return () => undefined;
  }

  follow(_runId: string, onEvents: (events: PehEvent[]) => void, onStatus: (live: boolean) => void): () => void {
    onEvents(this.data.events);
    onStatus(false);
    return () => undefined;
  }

  async act(): Promise<ActionAnswer> {
    return { ok: false, error: { code: "READ_ONLY", message: "this is an exported copy of the run: it cannot act on it", hint: "run `peh ui` where the run's store is" } };
  }

  async output(_runId: string, task: string, attempt: number): Promise<string> {
    const text = this.data.outputs?.[`${task}#${attempt}`];
    if (text === undefined) throw new Error("the export does not carry this attempt's output");
    return text;
  }
}
