// The PostgreSQL store under what a shared server does to it: racing writers on other
// connections, a transaction that commits late, connections cut mid-append, a crash of the
// server, a newer peh's schema, and no server at all.
import { expect, it } from "vitest";
import pg from "pg";
import { PostgresEventStore } from "../../events/adapters.js";
import { APPEND_NEXT, appendParams, sealRows } from "../../events/adapters/postgres/statements.js";
import { RunIdSchema, isPehError, type PehEvent } from "../../events/index.js";
import { storeEvents } from "../support/store-events.js";
import { describeWithPostgres, type PgServer } from "../support/postgres.js";

const run = RunIdSchema.parse("r-faults");

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Waits until the server shows a backend of `database` waiting on a lock, and returns its pid. */
async function waitingBackend(server: PgServer, database: string): Promise<number> {
  for (;;) {
    const [row] = await server.sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [database]);
    if (row) return row.pid;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const nameOf = (url: string) => new URL(url).pathname.slice(1);

describeWithPostgres("PostgreSQL store › under faults", (server) => {
  it("lets exactly one of two writers on separate connections win each of 1,000 races", async () => {
    const url = await server().database();
    const [a, b] = [new PostgresEventStore(url), new PostgresEventStore(url)];
    try {
      let winsA = 0;
      for (let seq = 1; seq <= 1_000; seq++) {
        const results = await Promise.allSettled([a.append(run, storeEvents(run, seq, 1), seq - 1), b.append(run, storeEvents(run, seq, 1), seq - 1)]);
        const won = results.filter((result) => result.status === "fulfilled");
        const lost = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
        expect(won).toHaveLength(1);
        expect(lost.map((result) => isPehError(result.reason, "APPEND_CONFLICT"))).toEqual([true]);
        if (results[0]!.status === "fulfilled") winsA++;
      }
      const log = await a.read(run);
      expect(log.map((event) => event.seq)).toEqual(Array.from({ length: 1_000 }, (_, index) => index + 1));
      // Both writers won some: the races were real.
      expect(winsA).toBeGreaterThan(0);
      expect(winsA).toBeLessThan(1_000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("never lets a reader skip an event whose transaction commits late, nor a writer jump past it", async () => {
    const url = await server().database();
    const store = new PostgresEventStore(url);
    const late = new pg.Client({ connectionString: url });
    await late.connect();
    try {
      await store.append(run, storeEvents(run, 1, 2), 0);
      const head = await store.head(run);
      // Seq 3 inserted by a transaction left open, exactly as the store's append writes it.
      await late.query("BEGIN");
      const rows = sealRows(head.hash, storeEvents(run, 3, 1));
      await late.query(APPEND_NEXT, appendParams({ runId: run, rows, appendId: "00000000-0000-4000-8000-000000000003", channel: "peh_events", expected: 2, previous: head.hash }));
      const abort = new AbortController();
      const seen: number[] = [];
      const following = (async () => {
        for await (const event of store.follow(run, { signal: abort.signal })) {
          seen.push(event.seq);
          if (event.seq === 4) abort.abort();
        }
      })();
      expect((await store.read(run)).map((event) => event.seq)).toEqual([1, 2]);
      // Nobody can append after the open one: seq 4 needs seq 3 committed.
      expect(isPehError(await failure(store.append(run, storeEvents(run, 4, 1), 3)), "APPEND_CONFLICT")).toBe(true);
      await late.query("COMMIT");
      await store.append(run, storeEvents(run, 4, 1), 3);
      await following;
      expect(seen).toEqual([1, 2, 3, 4]);
    } finally {
      await late.end();
      await store.close();
    }
  });

  it("finishes an append whose connection is cut while it waits, once, with nothing lost or doubled", async () => {
    const url = await server().database();
    const store = new PostgresEventStore(url);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await store.append(run, storeEvents(run, 1, 2), 0);
      await holder.query("BEGIN");
      await holder.query("SELECT * FROM peh_runs WHERE run_id = $1 FOR UPDATE", [run]);
      const appending = store.append(run, storeEvents(run, 3, 2), 2);
      const pid = await waitingBackend(server(), nameOf(url));
      await server().sql("SELECT pg_terminate_backend($1)", [pid]);
      await holder.query("ROLLBACK");
      expect(await appending).toEqual({ nextExpectedVersion: 4 });
      expect((await store.read(run)).map((event) => event.seq)).toEqual([1, 2, 3, 4]);
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it("counts an append that committed before its answer was lost as done, not as a conflict", async () => {
    const url = await server().database();
    let cut = 1;
    const store = new PostgresEventStore(url, {
      faults: {
        afterAppend: () => {
          if (cut-- > 0) throw new Error("Connection terminated unexpectedly");
        },
      },
    });
    try {
      expect(await store.append(run, storeEvents(run, 1, 3), 0)).toEqual({ nextExpectedVersion: 3 });
      expect((await store.read(run)).map((event) => event.seq)).toEqual([1, 2, 3]);
      // The fault fired once, and the append was not made again: its rows were found.
      expect(cut).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("rides out a crash of the server: an append made while it is down lands when it is back", async () => {
    const url = await server().database();
    const store = new PostgresEventStore(url, { retryForMs: 60_000 });
    try {
      await store.append(run, storeEvents(run, 1, 2), 0);
      await server().stop("immediate");
      const appending = store.append(run, storeEvents(run, 3, 1), 2);
      await server().start();
      expect(await appending).toEqual({ nextExpectedVersion: 3 });
      expect((await store.read(run)).map((event) => event.seq)).toEqual([1, 2, 3]);
    } finally {
      await store.close();
    }
  });

  it("follows across a lost LISTEN connection: it is made again and the next append wakes the reader", async () => {
    const url = await server().database();
    // No polling to speak of: only a notification can wake the follower.
    const reader = new PostgresEventStore(url, { pollMs: 3_600_000 });
    const writer = new PostgresEventStore(url);
    try {
      await writer.append(run, storeEvents(run, 1, 1), 0);
      const abort = new AbortController();
      const seen: PehEvent[] = [];
      const following = (async () => {
        for await (const event of reader.follow(run, { signal: abort.signal })) {
          seen.push(event);
          if (event.seq === 2) abort.abort();
        }
      })();
      await reader.listening.whenListening(0);
      const pid = reader.listening.backendPid!;
      await server().sql("SELECT pg_terminate_backend($1)", [pid]);
      await reader.listening.whenListening(1);
      expect(reader.listening.backendPid).not.toBe(pid);
      await writer.append(run, storeEvents(run, 2, 1), 1);
      await following;
      expect(seen.map((event) => event.seq)).toEqual([1, 2]);
    } finally {
      await Promise.all([reader.close(), writer.close()]);
    }
  });

  it("makes its schema once when many processes start on an empty database at the same time", async () => {
    const url = await server().database();
    const stores = Array.from({ length: 6 }, () => new PostgresEventStore(url));
    try {
      expect(await Promise.all(stores.map((store) => store.version(run)))).toEqual([0, 0, 0, 0, 0, 0]);
      const [row] = await server().sql<{ value: string }>("SELECT value FROM peh_meta WHERE key = 'schema_version'", [], nameOf(url));
      expect(row?.value).toBe("1");
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("refuses a schema newer than it knows, saying which and what to do", async () => {
    const url = await server().database();
    const first = new PostgresEventStore(url);
    await first.append(run, storeEvents(run, 1, 1), 0);
    await first.close();
    await server().sql("UPDATE peh_meta SET value = '99' WHERE key = 'schema_version'", [], nameOf(url));
    const later = new PostgresEventStore(url);
    try {
      const error = await failure(later.read(run));
      expect(isPehError(error, "STORE_INCOMPATIBLE")).toBe(true);
      expect((error as Error).message).toContain("version 99, newer than this peh knows (1)");
      expect((error as { hint?: string }).hint).toContain("upgrade peh");
    } finally {
      await later.close();
    }
  });

  it("says a server it cannot reach is unavailable, naming it without its password, at once", async () => {
    const port = server().port + 1;
    const store = new PostgresEventStore(`postgres://ana:s3cret@127.0.0.1:${port}/peh`);
    try {
      const error = await failure(store.version(run));
      expect(isPehError(error, "STORE_UNAVAILABLE")).toBe(true);
      expect((error as Error).message).toContain(`postgres://ana:***@127.0.0.1:${port}/peh`);
      expect(JSON.stringify(error)).not.toContain("s3cret");
      expect((error as { hint?: string }).hint).toContain("start the server");
    } finally {
      await store.close();
    }
  });
});
