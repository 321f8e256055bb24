// Attempts' output on the server, so that any host can show it: the bytes of an attempt's log (as
// the runner wrote them, redacted) in chunks keyed by their byte offset. A chunk sent again after
// a lost answer is kept once (its offset is its key); a log is only ever appended to.
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
    const rows = await this.query<{ bytes: Buffer }>(`SELECT bytes FROM peh_output WHERE run_id = $1 AND worker_id = $2 ORDER BY at_byte`, [runId, workerId]);
    return rows.length === 0 ? undefined : Buffer.concat(rows.map((row) => row.bytes));
  }
}
