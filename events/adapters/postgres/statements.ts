// The append, as one statement per case: the expected-version rule is in the statement (a new
// run's row inserted, which a racing first append collides with; or the run's row moved from
// the version the writer expects, which a racing append finds already moved), the events
// inserted only if it held, and the NOTIFY sent in the same transaction, so at commit.
import type { PehEvent } from "../../envelope.js";
import { chainHash } from "../../seal.js";

/** The rows of one append, sealed as seal.ts seals lines: each chained to the one before. */
export interface SealedRows {
  seqs: number[];
  ids: string[];
  types: string[];
  ats: string[];
  bodies: string[];
  hashes: string[];
  /** The seq the append ends at, and the chain after its last event. */
  end: number;
  chain: string;
  firstAt: string;
  lastAt: string;
}

export function sealRows(previous: string, events: readonly PehEvent[]): SealedRows {
  const end = events.at(-1)!.seq;
  let chain = previous;
  const rows: SealedRows = { seqs: [], ids: [], types: [], ats: [], bodies: [], hashes: [], end, chain, firstAt: events[0]!.at, lastAt: events.at(-1)!.at };
  for (const event of events) {
    const body = JSON.stringify(event);
    chain = chainHash(chain, `${body.slice(0, -1)},"end":${end}}`);
    rows.seqs.push(event.seq);
    rows.ids.push(event.id);
    rows.types.push(event.type);
    rows.ats.push(event.at);
    rows.bodies.push(body);
    rows.hashes.push(chain);
  }
  rows.chain = chain;
  return rows;
}

const INSERT_EVENTS = `ins AS (
    INSERT INTO peh_events (run_id, seq, id, type, at, body, end_seq, hash, append_id)
    SELECT $1, u.seq, u.id, u.type, u.at, u.body, $8, u.hash, $9
    FROM head, unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(seq, id, type, at, body, hash)
    RETURNING 1
  )
  SELECT c.n FROM (SELECT count(*) AS n FROM ins) c, LATERAL (SELECT pg_notify($10, $1) WHERE c.n > 0) notified`;

/** A new run: its row must not exist yet (a racing first append fails on its primary key). */
export const APPEND_FIRST = `WITH head AS (
    INSERT INTO peh_runs (run_id, version, head_hash, created_at, updated_at)
    VALUES ($1, $8, $11, $12, $13) RETURNING run_id
  ), ${INSERT_EVENTS}`;

/** The next append of a run: only if its row is still at the expected version (and hash). */
export const APPEND_NEXT = `WITH head AS (
    UPDATE peh_runs SET version = $8, head_hash = $11, updated_at = $13
    WHERE run_id = $1 AND version = $12::int AND head_hash = $14
    RETURNING run_id
  ), ${INSERT_EVENTS}`;

/** The parameters of APPEND_FIRST (`expected` 0) or APPEND_NEXT. */
export function appendParams(input: { runId: string; rows: SealedRows; appendId: string; channel: string; expected: number; previous: string }): unknown[] {
  const { runId, rows, appendId, channel, expected, previous } = input;
  const common = [runId, rows.seqs, rows.ids, rows.types, rows.ats, rows.bodies, rows.hashes, rows.end, appendId, channel, rows.chain];
  return expected === 0 ? [...common, rows.firstAt, rows.lastAt] : [...common, expected, rows.lastAt, previous];
}
