// Attempts' output on the server, so that any host can show it, live: the bytes of an attempt's
// log (as the runner wrote them, redacted) in chunks keyed by their byte offset, sent while the
// attempt runs. A chunk sent again after a lost answer is kept once (its offset is its key); a log
// is only ever appended to, and read back as the run of chunks that joins up from its start.
import type pg from "pg";

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

export class PostgresOutput {
  constructor(private readonly query: Query) {}

  /** Keeps `bytes` of the attempt's log at `offset`. */
  async save(runId: string, workerId: string, offset: number, bytes: Buffer): Promise<void> {
    await this.query(`INSERT INTO peh_output (run_id, worker_id, at_byte, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [runId, workerId, offset, bytes]);
  }

  /** How many bytes of the attempt's log the server holds. */
  async size(runId: string, workerId: string): Promise<number> {
    const [row] = await this.query<{ size: string }>(`SELECT coalesce(max(at_byte + length(bytes)), 0) AS size FROM peh_output WHERE run_id = $1 AND worker_id = $2`, [runId, workerId]);
    return Number(row?.size ?? 0);
  }

  /** The attempt's log as the server holds it; undefined if it holds none. */
  async read(runId: string, workerId: string): Promise<Buffer | undefined> {
    const rows = await this.rowsFrom(runId, workerId, 0);
    return rows.length === 0 ? undefined : joined(rows, 0);
  }

  /**
   * The attempt's log from byte `from` on, as far as its chunks join up (empty when the server
   * holds nothing past `from`): what a follower asks for each time it looks.
   */
  async readFrom(runId: string, workerId: string, from: number): Promise<Buffer> {
    return joined(await this.rowsFrom(runId, workerId, from), from);
  }

  private rowsFrom(runId: string, workerId: string, from: number): Promise<Chunk[]> {
    return this.query<Chunk>(
      `SELECT at_byte, bytes FROM peh_output WHERE run_id = $1 AND worker_id = $2 AND at_byte + length(bytes) > $3 ORDER BY at_byte`,
      [runId, workerId, from],
    );
  }
}

interface Chunk extends pg.QueryResultRow {
  at_byte: string;
  bytes: Buffer;
}

/**
 * The bytes from `from` on: each chunk where the last one ended (a chunk that overlaps what is
 * already joined gives only what is new), up to the first gap. One writer per attempt sends from
 * where the server's copy ends, so neither happens unless something went wrong; a reader never
 * shows a byte twice or out of place all the same.
 */
function joined(rows: readonly Chunk[], from: number): Buffer {
  const parts: Buffer[] = [];
  let end = from;
  for (const { at_byte, bytes } of rows) {
    const at = Number(at_byte);
    if (at > end) break;
    if (at + bytes.length <= end) continue;
    parts.push(bytes.subarray(end - at));
    end = at + bytes.length;
  }
  return Buffer.concat(parts);
}
