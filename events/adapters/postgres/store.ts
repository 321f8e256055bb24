// The EventStore on PostgreSQL (node-postgres): one row per event under PRIMARY KEY (run_id, seq),
// the expected-version check in the append's own statement, LISTEN/NOTIFY as a wake-up for follow
// with polling behind it. Each operation is one statement, on the retrying pool of pool.ts; the
// driver's failures are translated in connection.ts. What is read is judged as the lowdb store's
// lines are: the chain hash of every row (seal.ts), the envelope's schema, then the machines' fold
// (runtime/store/read-run.ts).
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { deepFreeze, PehEventSchema, type PehEvent } from "../../envelope.js";
import { PehError } from "../../errors.js";
import { followLog } from "../../follow.js";
import type { RunId } from "../../ids.js";
import { chainHash, GENESIS } from "../../seal.js";
import {
  checkAppend,
  type AppendResult,
  type Checkpoint,
  type CheckpointRead,
  type EventStore,
  type FollowOptions,
  type ReadRange,
  type RunSummary,
} from "../../store.js";
import { connectionOf, type Connection } from "./connection.js";
import { PostgresLeases } from "./leases.js";
import { PostgresOutput } from "./output.js";
import { CHANNEL, Listener } from "./listener.js";
import { RetryingPool } from "./pool.js";
import { APPEND_FIRST, APPEND_NEXT, appendParams, sealRows } from "./statements.js";

export interface PostgresStoreOptions {
  env?: NodeJS.ProcessEnv;
  /** How long an operation keeps retrying while the server is unreachable, once it was reached (ms). */
  retryForMs?: number;
  /** How often `follow` reads even without a notification (ms). */
  pollMs?: number;
  /** How often the LISTEN connection is probed (ms). */
  probeMs?: number;
  /** Fault injection for tests: called after an append's statement returned, before its result is used. */
  faults?: { afterAppend?(): void };
}

interface Row {
  seq: number;
  body: string;
  end_seq: number;
  hash: string;
}

export class PostgresEventStore implements EventStore {
  readonly where: string;
  /** The database's name, the same from every host (`where` names the address this host uses). */
  readonly database: string;
  private readonly connection: Connection;
  private readonly pool: RetryingPool;
  private readonly listener: Listener;
  /** Each run's last known head (seq and hash), so an append rarely has to ask for it. */
  private readonly heads = new Map<RunId, { seq: number; hash: string }>();
  private readonly pollMs: number;
  private readonly faults: PostgresStoreOptions["faults"];
  /** Named leases on this server (one `peh run` per run across hosts). */
  readonly leases = new PostgresLeases((text, values) => this.query(text, values));
  /** Attempts' output, kept on the server for every host. */
  readonly output = new PostgresOutput((text, values) => this.query(text, values));

  constructor(store: string, options: PostgresStoreOptions = {}) {
    this.connection = connectionOf(store, options.env);
    this.where = this.connection.where;
    this.database = this.connection.database;
    this.pool = new RetryingPool(this.connection.config, this.where, options.retryForMs ?? 15_000);
    this.pollMs = options.pollMs ?? 1_000;
    this.faults = options.faults;
    this.listener = new Listener({ config: this.connection.config, probeMs: options.probeMs ?? 5_000, probeTimeoutMs: 5_000 });
  }

  async append(runId: RunId, events: readonly PehEvent[], expectedVersion: number): Promise<AppendResult> {
    if (events.length === 0) {
      checkAppend(runId, await this.version(runId), events, expectedVersion);
      return { nextExpectedVersion: expectedVersion };
    }
    try {
      checkAppend(runId, expectedVersion, events, expectedVersion);
    } catch (error) {
      // As every adapter: a stale version is the conflict, whatever the events' seqs say.
      checkAppend(runId, await this.version(runId), events, expectedVersion);
      throw error;
    }
    const previous = await this.hashAt(runId, expectedVersion);
    if (previous === undefined) throw await this.conflict(runId, expectedVersion);
    const rows = sealRows(previous, events);
    const appendId = randomUUID();
    const end = rows.end;
    const params = appendParams({ runId, rows, appendId, channel: CHANNEL, expected: expectedVersion, previous });
    let written: number;
    try {
      written = await this.pool.withRetry(
        async (client) => {
          const result = await client.query<{ n: string }>(expectedVersion === 0 ? APPEND_FIRST : APPEND_NEXT, params);
          this.faults?.afterAppend?.();
          return Number(result.rows[0]?.n ?? 0);
        },
        // The statement may have committed before the connection dropped: its rows say so.
        async (client) => {
          const landed = await client.query(`SELECT 1 FROM peh_events WHERE run_id = $1 AND seq = $2 AND append_id = $3`, [runId, expectedVersion + 1, appendId]);
          return landed.rowCount ? events.length : undefined;
        },
      );
    } catch (error) {
      if ((error as { code?: unknown }).code === "23505") throw await this.conflict(runId, expectedVersion);
      throw error;
    }
    if (written !== events.length) throw await this.conflict(runId, expectedVersion);
    this.heads.set(runId, { seq: end, hash: rows.chain });
    return { nextExpectedVersion: end };
  }

  async read(runId: RunId, range: ReadRange = {}): Promise<PehEvent[]> {
    const from = Math.max(1, range.from ?? 1);
    const to = range.to ?? 2 ** 31 - 1;
    if (to < from) return [];
    // The row before the range too: its hash is where the chain of the range starts.
    const rows = await this.query<Row>(
      `SELECT seq, body, end_seq, hash FROM peh_events WHERE run_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq`,
      [runId, from - 1, to],
    );
    let previous = GENESIS;
    let expected = from;
    if (from > 1) {
      const before = rows.shift();
      if (!before) return [];
      previous = before.hash;
    }
    const events: PehEvent[] = [];
    for (const row of rows) {
      if (row.seq !== expected) throw this.corrupt(runId, row.seq, `seq ${expected} is missing`);
      const content = `${row.body.slice(0, -1)},"end":${row.end_seq}}`;
      if (chainHash(previous, content) !== row.hash) throw this.corrupt(runId, row.seq, "its hash does not match its content and the events before it (the row was edited)");
      let json: unknown;
      try {
        json = JSON.parse(row.body);
      } catch {
        throw this.corrupt(runId, row.seq, "its body is not JSON");
      }
      const parsed = PehEventSchema.safeParse(json);
      if (!parsed.success || parsed.data.seq !== row.seq || parsed.data.run_id !== runId) {
        throw this.corrupt(runId, row.seq, `it is not a valid event of this run (${parsed.success ? "its seq or run differs" : parsed.error.issues[0]?.message})`);
      }
      events.push(deepFreeze(parsed.data));
      previous = row.hash;
      expected++;
    }
    const last = rows.at(-1);
    if (last && range.to === undefined) this.heads.set(runId, { seq: last.seq, hash: last.hash });
    return events;
  }

  async version(runId: RunId): Promise<number> {
    return (await this.head(runId)).seq;
  }

  async head(runId: RunId): Promise<{ seq: number; hash: string }> {
    const [row] = await this.query<{ version: number; head_hash: string }>(`SELECT version, head_hash FROM peh_runs WHERE run_id = $1`, [runId]);
    return row ? { seq: row.version, hash: row.head_hash } : { seq: 0, hash: GENESIS };
  }

  async listRuns(): Promise<RunSummary[]> {
    const rows = await this.query<{ run_id: RunId; version: number; created_at: string; updated_at: string }>(
      `SELECT run_id, version, created_at, updated_at FROM peh_runs ORDER BY created_at, run_id`,
    );
    return rows.map((row) => ({ run_id: row.run_id, events: row.version, created_at: row.created_at, updated_at: row.updated_at }));
  }

  async readFirst(runId: RunId, maxBytes: number): Promise<PehEvent | undefined> {
    const [row] = await this.query<{ body: string }>(`SELECT body FROM peh_events WHERE run_id = $1 AND seq = 1 AND octet_length(body) <= $2`, [runId, maxBytes]);
    if (!row) return undefined;
    const parsed = PehEventSchema.safeParse(JSON.parse(row.body));
    return parsed.success ? deepFreeze(parsed.data) : undefined;
  }

  follow(runId: RunId, options: FollowOptions = {}): AsyncIterable<PehEvent> {
    return followLog({
      from: options.from ?? 1,
      signal: options.signal,
      read: (from) => this.read(runId, { from }),
      onChange: (notify) => {
        const unsubscribe = this.listener.subscribe(runId, notify);
        const poll = setInterval(notify, this.pollMs);
        return () => {
          clearInterval(poll);
          unsubscribe();
        };
      },
    });
  }

  /** The listening connection, for tests that cut it and wait for it to come back. */
  get listening(): Pick<Listener, "listens" | "whenListening" | "backendPid"> {
    return this.listener;
  }

  async saveCheckpoint(runId: RunId, checkpoint: Checkpoint): Promise<void> {
    await this.query(
      `INSERT INTO peh_checkpoints (run_id, tag, seq, hash, state)
       SELECT $1, $2, $3, hash, $4 FROM peh_events WHERE run_id = $1 AND seq = $3
       ON CONFLICT (run_id, tag) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, state = excluded.state`,
      [runId, checkpoint.tag, checkpoint.seq, JSON.stringify(checkpoint.state)],
    );
  }

  /** Usable only if the event at its seq still has the hash it was made on (the log begins the same). */
  async readCheckpoint(runId: RunId, tag: string): Promise<CheckpointRead | undefined> {
    const [row] = await this.query<{ seq: number; state: string }>(
      `SELECT c.seq, c.state FROM peh_checkpoints c JOIN peh_events e ON e.run_id = c.run_id AND e.seq = c.seq AND e.hash = c.hash
       WHERE c.run_id = $1 AND c.tag = $2`,
      [runId, tag],
    );
    if (!row) return undefined;
    return { seq: row.seq, tag, state: JSON.parse(row.state) as unknown, events: await this.read(runId, { from: row.seq + 1 }) };
  }

  locate(runId: RunId): string {
    return `run ${runId} in ${this.where}`;
  }

  async close(): Promise<void> {
    await this.listener.close();
    await this.pool.end().catch(() => undefined);
  }

  /** One statement on a pooled connection, retried while the server is briefly away. */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.pool.query<R>(text, values);
  }

  /** The hash of the run's event at `seq` ("" at 0), from the last head seen if it is that one; undefined if there is none. */
  private async hashAt(runId: RunId, seq: number): Promise<string | undefined> {
    if (seq === 0) return GENESIS;
    const known = this.heads.get(runId);
    if (known?.seq === seq) return known.hash;
    const [row] = await this.query<{ hash: string }>(`SELECT hash FROM peh_events WHERE run_id = $1 AND seq = $2`, [runId, seq]);
    return row?.hash;
  }

  private async conflict(runId: RunId, expected: number): Promise<PehError> {
    this.heads.delete(runId);
    const actual = await this.version(runId);
    try {
      checkAppend(runId, actual, [], expected);
    } catch (error) {
      return error as PehError;
    }
    // Moved and back is impossible (a log only grows): a writer of the same seq won the race.
    return new PehError("APPEND_CONFLICT", `run ${runId}: another writer appended at version ${expected} first`, "read the run again and retry the command", { run_id: runId, expected, actual });
  }

  private corrupt(runId: RunId, seq: number, why: string): PehError {
    return new PehError("STORE_CORRUPT", `${this.locate(runId)}: the event at seq ${seq} cannot be trusted: ${why}`, "restore the database from a backup; peh never edits a stored event", { run_id: runId, seq });
  }
}
