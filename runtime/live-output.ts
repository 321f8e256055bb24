// Attempts' output as a run goes, for `peh log --follow`: the lines each attempt under way prints,
// read from the store's output (runtime/store/output.ts) on either store, so a follower on any
// host sees them while the attempt runs. Which attempts are under way comes from the log
// (projections/attempts.ts), never from the files. Each attempt is read from where the last look
// ended, so a look costs what came since; when the event that ends an attempt comes, its output
// is read to its last line before that event is printed (on a shared store, the host that ran it
// sent its output before recording its end).
import { StringDecoder } from "node:string_decoder";
import type { EventStore, PehEvent, RunId } from "../events/index.js";
import { attemptsOf, type AttemptRecord } from "../projections/attempts.js";
import { outputOf, type OutputSource } from "./store/output.js";

export interface OutputLine {
  task_id: string;
  attempt: number;
  worker_id: string;
  /** One line of the attempt's log, without its newline (redacted; control characters as they came). */
  text: string;
}

/** How often the attempts under way are looked at. */
export const OUTPUT_POLL_MS = 500;

interface Followed {
  record: AttemptRecord;
  offset: number;
  decoder: StringDecoder;
  partial: string;
}

const underWay = (record: AttemptRecord) => record.outcome === "running" || record.outcome === "verifying";

export class LiveOutput {
  private readonly source: OutputSource;
  private readonly attempts = new Map<string, AttemptRecord[]>();
  private readonly followed = new Map<string, Followed>();
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private looking = false;

  constructor(
    store: EventStore,
    private readonly runId: RunId,
    private readonly print: (line: OutputLine) => void,
    private readonly pollMs = OUTPUT_POLL_MS,
  ) {
    this.source = outputOf(store);
  }

  /** The log so far, already printed: the attempts under way in it are followed from their first byte. */
  async seen(events: Iterable<PehEvent>): Promise<void> {
    attemptsOf(events, this.attempts);
    await this.serially(() => this.settle());
  }

  /** Call before printing `event`: an attempt it ends has its output printed to the last line first. */
  async before(event: PehEvent): Promise<void> {
    attemptsOf([event], this.attempts);
    await this.serially(() => this.settle());
  }

  /** Looks at the attempts under way every `pollMs` until stopped. */
  start(): void {
    this.timer ??= setInterval(() => {
      if (this.looking) return;
      this.looking = true;
      void this.serially(async () => {
        for (const followed of this.followed.values()) await this.pull(followed, false);
      })
        .catch(() => undefined)
        .finally(() => (this.looking = false));
    }, this.pollMs);
  }

  /** Stops looking; what an attempt printed without a newline so far is printed too. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.serially(async () => {
      for (const followed of this.followed.values()) this.flushPartial(followed);
    });
  }

  /** Attempts that ended are read to their end and let go; new ones are followed. */
  private async settle(): Promise<void> {
    for (const [worker, followed] of this.followed) {
      if (underWay(followed.record)) continue;
      await this.pull(followed, true);
      this.followed.delete(worker);
    }
    for (const records of this.attempts.values()) {
      const latest = records.at(-1);
      if (latest && underWay(latest) && !this.followed.has(latest.worker_id)) {
        const followed: Followed = { record: latest, offset: 0, decoder: new StringDecoder("utf8"), partial: "" };
        this.followed.set(latest.worker_id, followed);
        await this.pull(followed, false);
      }
    }
  }

  /** Prints the whole lines that came since the last look (`ended`: the last one too). */
  private async pull(followed: Followed, ended: boolean): Promise<void> {
    const read = await this.source.read(this.runId, followed.record.worker_id, followed.offset);
    if (read && read.bytes.length > 0) {
      followed.offset += read.bytes.length;
      const text = followed.partial + followed.decoder.write(read.bytes);
      const lines = text.split("\n");
      followed.partial = lines.pop() ?? "";
      for (const line of lines) this.line(followed, line);
    }
    if (ended) {
      followed.partial += followed.decoder.end();
      this.flushPartial(followed);
    }
  }

  private flushPartial(followed: Followed): void {
    if (followed.partial !== "") this.line(followed, followed.partial);
    followed.partial = "";
  }

  private line(followed: Followed, text: string): void {
    const { task_id, attempt, worker_id } = followed.record;
    this.print({ task_id, attempt, worker_id, text });
  }

  private serially(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
