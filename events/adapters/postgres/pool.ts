// The PostgreSQL store's connections: a node-postgres pool whose every statement runs after the
// schema is made (schema.ts) and is retried while a server that was reached is briefly away (a
// restart, a dropped connection). The driver's failures are translated in connection.ts.
import type pg from "pg";
import { pgDriver } from "./driver.js";
import { isPehError } from "../../errors.js";
import { isConnectionLost, isRefusal, unavailable } from "./connection.js";
import { ensureSchema } from "./schema.js";

export class RetryingPool {
  private readonly pool: pg.Pool;
  private ready: Promise<void> | undefined;

  /** `where` names the server in messages; a lost connection is retried for `retryForMs`. */
  constructor(config: pg.PoolConfig, private readonly where: string, private readonly retryForMs: number) {
    this.pool = new (pgDriver().Pool)(config);
    // An idle client whose server went away emits here; unhandled, it would end the process.
    this.pool.on("error", () => undefined);
  }

  /** One statement on a pooled connection, retried while the server is briefly away. */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.withRetry(async (client) => (await client.query<R>(text, values)).rows);
  }

  /**
   * Runs `work` on a pooled connection, the schema made first. A lost connection is retried for
   * `retryForMs` once the server was reached at all (a server that restarts); `recover`, given,
   * asks on the new connection whether the lost attempt took effect after all.
   */
  async withRetry<T>(work: (client: pg.PoolClient) => Promise<T>, recover?: (client: pg.PoolClient) => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + this.retryForMs;
    let lost = false;
    for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.pool.connect();
        guard(client);
        await this.schemaOn(client);
        if (lost && recover) {
          const recovered = await recover(client);
          if (recovered !== undefined) return recovered;
        }
        return await work(client);
      } catch (error) {
        client?.release(isConnectionLost(error));
        client = undefined;
        if (isPehError(error)) throw error;
        if (isRefusal(error)) throw unavailable(this.where, error);
        if (!isConnectionLost(error)) throw error;
        // Never reached: say so now, rather than wait for a server that may not exist.
        if (this.ready === undefined || Date.now() + wait > deadline) throw unavailable(this.where, error);
        lost = true;
        await new Promise((resolve) => setTimeout(resolve, wait));
      } finally {
        client?.release();
      }
    }
  }

  private schemaOn(client: pg.PoolClient): Promise<void> {
    this.ready ??= ensureSchema(client, this.where).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  /** Closes every pooled connection. */
  end(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * A checked-out client whose connection drops (pg_terminate_backend, a server restart) emits
 * 'error' besides rejecting its query; without a listener that would end the process. The
 * query's rejection is what withRetry handles. Once per client: the pool hands the same ones out again.
 */
const guarded = new WeakSet<pg.PoolClient>();
function guard(client: pg.PoolClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on("error", () => undefined);
}
