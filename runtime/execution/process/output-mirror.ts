// Copies attempts' logs into a shared store (PostgreSQL) as they grow, so that `peh output` shows
// them from any host. The local file stays the runner's sink (it is written as output comes and
// capped there); what it gained since the last copy is sent in chunks when a command of the
// attempt ends, before the event that records its end. Losing a copy loses nothing recorded.
import { open } from "node:fs/promises";
import type { PostgresOutput } from "../../../events/adapters.js";

const CHUNK = 256 * 1024;

export class OutputMirror {
  /** How much of each attempt's log the store holds, as far as this process knows. */
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly output: PostgresOutput,
    private readonly runId: string,
  ) {}

  /** Sends what `file` (the log of `workerId`) holds past what the store has. */
  async sync(workerId: string, file: string): Promise<void> {
    const handle = await open(file, "r").catch(() => undefined);
    if (!handle) return;
    try {
      let offset = this.sent.get(workerId) ?? (await this.output.size(this.runId, workerId));
      const size = (await handle.stat()).size;
      while (offset < size) {
        const buffer = Buffer.alloc(Math.min(CHUNK, size - offset));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) break;
        await this.output.save(this.runId, workerId, offset, buffer.subarray(0, bytesRead));
        offset += bytesRead;
      }
      this.sent.set(workerId, offset);
    } finally {
      await handle.close();
    }
  }
}
