// The PostgreSQL store's tables, made and versioned by peh itself on first use, under an advisory
// lock so that two processes starting at once do not both make them. A database whose schema is
// newer than this peh knows is refused: an older peh must not write a log it cannot read right.
import type { PoolClient } from "pg";
import { PehError } from "../../errors.js";

/** The schema this peh writes and reads. Raise it with a new entry in MIGRATIONS. */
export const SCHEMA_VERSION = 1;

/** pg_advisory_lock key for making or changing the schema ("peh" in ASCII, then 1). */
const SCHEMA_LOCK = 0x706568_01;

/**
 * One entry per version, applied in order inside one transaction each.
 * - peh_runs: one row per run, its head (version = the seq of its last event, and that event's
 *   chain hash). The expected-version check is on this row: an append moves it from the version
 *   it expects, or finds it moved and appends nothing.
 * - peh_events: one row per event, `PRIMARY KEY (run_id, seq)` (the gapless per-run order, and a
 *   second guard: two writers of one seq collide on it). `body` is the event's JSON as peh wrote
 *   it, so the chain hash (seal.ts) can be checked on read; `append_id` names the append that
 *   wrote the row, so an append retried after a lost connection can tell it already landed.
 *   `tx` and `gpos` order events across runs for a reader that wants them all (never by `gpos`
 *   alone: a transaction can commit after one that took a later number).
 * - peh_checkpoints: a view's fold of a run's first `seq` events, bound to that event's hash.
 * - peh_leases: named leases with a holder and an expiry on the server's clock (one `peh run`
 *   per run across hosts; the holder renews it while it runs).
 * - peh_output: attempts' output (already redacted), in chunks at their byte offset, so that
 *   `peh output` shows it from any host; a chunk sent twice is kept once.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS peh_runs (
     run_id text PRIMARY KEY,
     version integer NOT NULL CHECK (version > 0),
     head_hash text NOT NULL,
     created_at text NOT NULL,
     updated_at text NOT NULL
   );
   CREATE TABLE IF NOT EXISTS peh_events (
     run_id text NOT NULL,
     seq integer NOT NULL CHECK (seq > 0),
     id text NOT NULL UNIQUE,
     type text NOT NULL,
     at text NOT NULL,
     body text NOT NULL,
     end_seq integer NOT NULL,
     hash text NOT NULL,
     append_id uuid NOT NULL,
     tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
     gpos bigint GENERATED ALWAYS AS IDENTITY,
     PRIMARY KEY (run_id, seq)
   );
   CREATE INDEX IF NOT EXISTS peh_events_tx ON peh_events (tx, gpos);
   CREATE TABLE IF NOT EXISTS peh_checkpoints (
     run_id text NOT NULL,
     tag text NOT NULL,
     seq integer NOT NULL,
     hash text NOT NULL,
     state text NOT NULL,
     PRIMARY KEY (run_id, tag)
   );
   CREATE TABLE IF NOT EXISTS peh_leases (
     name text PRIMARY KEY,
     holder text NOT NULL,
     expires_at timestamptz NOT NULL
   );
   CREATE TABLE IF NOT EXISTS peh_output (
     run_id text NOT NULL,
     worker_id text NOT NULL,
     at_byte bigint NOT NULL,
     bytes bytea NOT NULL,
     PRIMARY KEY (run_id, worker_id, at_byte)
   );`,
];

const META = `CREATE TABLE IF NOT EXISTS peh_meta (key text PRIMARY KEY, value text NOT NULL)`;

async function storedVersion(client: PoolClient): Promise<number> {
  const exists = await client.query<{ found: string | null }>(`SELECT to_regclass('peh_meta')::text AS found`);
  if (exists.rows[0]?.found == null) return 0;
  const row = await client.query<{ value: string }>(`SELECT value FROM peh_meta WHERE key = 'schema_version'`);
  return Number(row.rows[0]?.value ?? 0);
}

function tooNew(found: number, where: string): PehError {
  return new PehError(
    "STORE_INCOMPATIBLE",
    `the PostgreSQL store ${where} has peh schema version ${found}, newer than this peh knows (${SCHEMA_VERSION})`,
    "upgrade peh on this host to the version the other hosts run (npm install -g peh@latest); nothing was read or written",
    { found, known: SCHEMA_VERSION },
  );
}

/** Makes or upgrades the schema if it needs it; throws STORE_INCOMPATIBLE if it is newer than peh's. */
export async function ensureSchema(client: PoolClient, where: string): Promise<void> {
  const seen = await storedVersion(client);
  if (seen === SCHEMA_VERSION) return;
  if (seen > SCHEMA_VERSION) throw tooNew(seen, where);
  await client.query(`SELECT pg_advisory_lock($1)`, [SCHEMA_LOCK]);
  try {
    // Another process may have made it while this one waited for the lock.
    const found = await storedVersion(client);
    if (found > SCHEMA_VERSION) throw tooNew(found, where);
    for (let version = found + 1; version <= SCHEMA_VERSION; version++) {
      await client.query("BEGIN");
      try {
        await client.query(META);
        await client.query(MIGRATIONS[version - 1]!);
        await client.query(
          `INSERT INTO peh_meta (key, value) VALUES ('schema_version', $1)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [String(version)],
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
  } finally {
    await client.query(`SELECT pg_advisory_unlock($1)`, [SCHEMA_LOCK]).catch(() => undefined);
  }
}
