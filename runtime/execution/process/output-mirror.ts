// Copies attempts' logs into a shared store (PostgreSQL) while they grow, so that `peh output`,
// `peh log --follow` and `peh ui` show them from any host, live. The local file stays the
// runner's sink (written as output comes, redacted, and capped there); while a command of an
// attempt runs, what its log gained is sent every FLUSH_MS, in chunks of at most CHUNK bytes at
// their byte offset, and once more when the command ends, before the event that records its end.
//
// One copy at a time, each from where the store's copy ends: memory stays one chunk whatever a
// command prints. A crash loses what was written since the last copy (the local log still has
// it); a chunk whose answer was lost is sent again at the same offset, after asking the store how
// much it holds, so it is never kept twice. Losing a copy loses nothing recorded.
import { open } from "node:fs/promises";

/** What the mirror needs of the store: the server's copy of each attempt's log (PostgresOutput). */
export interface OutputSink {
  save(runId: string, workerId: string, offset: number, bytes: Buffer): Promise<void>;
  size(runId: string, workerId: string): Promise<number>;
}

/** How often a running command's new output is sent. */
export const FLUSH_MS = 250;
/** The most one chunk (one row) holds. */
export const CHUNK = 64 * 1024;

export class OutputMirror {
  /** How much of each attempt's log the store holds, as far as this process knows. */
  private readonly sent = new Map<string, number>();
  /** The logs of the commands running now, by attempt. */
  private readonly live = new Map<string, { file: string; commands: number }>();
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private copying = false;
  private failing = false;

  constructor(
    private readonly output: OutputSink,
    private readonly runId: string,
    private readonly options: { flushMs?: number; chunk?: number; onError?: (workerId: string, error: unknown) => void } = {},
  ) {}

  /** Runs `work` (a command of the attempt `workerId`, writing `file`) with its log sent as it grows. */
  async during<T>(workerId: string, file: string, work: () => Promise<T>): Promise<T> {
    const entry = this.live.get(workerId) ?? { file, commands: 0 };
    entry.commands++;
    this.live.set(workerId, entry);
    this.timer ??= setInterval(() => this.tick(), this.options.flushMs ?? FLUSH_MS).unref();
    try {
      return await work();
    } finally {
      if (--entry.commands === 0) this.live.delete(workerId);
      if (this.live.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }
  }

  /** Sends what `file` (the log of `workerId`) holds past what the store has; after the copies before it. */
  sync(workerId: string, file: string): Promise<void> {
    return this.enqueue(() => this.copy(workerId, file));
  }

  /** Every running command's new output, unless the last round is still being sent (the next goes on from it). */
  private tick(): void {
    if (this.copying) return;
    this.copying = true;
    void this.enqueue(async () => {
      for (const [workerId, { file }] of this.live) {
        await this.copy(workerId, file).catch((error: unknown) => this.failed(workerId, error));
      }
    }).finally(() => (this.copying = false));
  }

  /** Said once, until a copy goes through again: a server away for a while is one note, not one per tick. */
  private failed(workerId: string, error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.onError?.(workerId, error);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async copy(workerId: string, file: string): Promise<void> {
    const handle = await open(file, "r").catch(() => undefined);
    if (!handle) return;
    try {
      const size = (await handle.stat()).size;
      let offset = this.sent.get(workerId) ?? (await this.output.size(this.runId, workerId));
      if (offset >= size) return;
      const chunk = this.options.chunk ?? CHUNK;
      const buffer = Buffer.alloc(Math.min(chunk, size - offset));
      while (offset < size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - offset), offset);
        if (bytesRead === 0) break;
        // Forgotten first: should the answer be lost, the next copy asks the store where its copy ends.
        this.sent.delete(workerId);
        await this.output.save(this.runId, workerId, offset, Buffer.from(buffer.subarray(0, bytesRead)));
        offset += bytesRead;
        this.sent.set(workerId, offset);
      }
      this.failing = false;
    } finally {
      await handle.close();
    }
  }
}
