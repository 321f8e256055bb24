// Named leases on the server's clock, for what must have one holder across hosts (one `peh run`
// per run). A lease is taken if free, expired, already ours, or held by `stale` (a holder the
// caller knows is dead: a crashed process of its own host); the holder renews it while it works.
// A lease only keeps honest processes apart: what they append is still fenced by the expected version.
import type pg from "pg";

export interface LeaseHolding {
  holder: string;
  /** Whether it has not expired on the server's clock. */
  alive: boolean;
}

type Query = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

export class PostgresLeases {
  constructor(private readonly query: Query) {}

  /** Takes `name` for `holder` for `ttlMs`; undefined if taken, else who holds it. */
  async acquire(name: string, holder: string, ttlMs: number, stale = ""): Promise<LeaseHolding | undefined> {
    const taken = await this.query(
      `INSERT INTO peh_leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE peh_leases.expires_at < now() OR peh_leases.holder = excluded.holder OR peh_leases.holder = $4::text
       RETURNING holder`,
      [name, holder, ttlMs, stale],
    );
    if (taken.length > 0) return undefined;
    return (await this.holding(name)) ?? { holder: "", alive: false };
  }

  /** Extends the lease; false if `holder` no longer holds it. */
  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const rows = await this.query(`UPDATE peh_leases SET expires_at = now() + $3 * interval '1 millisecond' WHERE name = $1 AND holder = $2 RETURNING 1`, [name, holder, ttlMs]);
    return rows.length > 0;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.query(`DELETE FROM peh_leases WHERE name = $1 AND holder = $2`, [name, holder]);
  }

  async holding(name: string): Promise<LeaseHolding | undefined> {
    const [row] = await this.query<{ holder: string; alive: boolean }>(`SELECT holder, expires_at > now() AS alive FROM peh_leases WHERE name = $1`, [name]);
    return row;
  }
}
