// Where the page's data comes from: the `peh ui` server (fetch with the token header, and one
// EventSource per run keyed on seq), or the events inlined by `peh export --html` (read-only).
import type { PehEvent } from "../events/index.js";

export interface RunListEntry {
  run_id: string;
  objective: string | null;
  state: string;
  events: number;
  updated_at: string;
  progress: { total: number; pending: number; active: number; succeeded: number; failed: number; skipped: number; upstream_failed: number; awaiting_decision: number };
  awaited: number;
}

export interface Refusal {
  code: string;
  message: string;
  hint?: string;
}

export type ActionAnswer = { ok: true; message: string } | { ok: false; error: Refusal };

export interface Source {
  readonly readOnly: boolean;
  runs(): Promise<RunListEntry[]>;
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

  async runs(): Promise<RunListEntry[]> {
    return (await this.getJson<{ runs: RunListEntry[] }>("/api/runs")).runs;
  }

  follow(runId: string, onEvents: (events: PehEvent[]) => void, onStatus: (live: boolean) => void): () => void {
    let stream: EventSource | undefined;
    let stopped = false;
    let last = 0;
    const run = encodeURIComponent(runId);
    void this.getJson<{ events: PehEvent[] }>(`/api/runs/${run}/events`).then(({ events }) => {
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

  async runs(): Promise<RunListEntry[]> {
    return [];
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
