// Where the PostgreSQL store is and what the driver's failures mean, in one place: a URL (or the
// standard PG* variables) to a pool config, the server named without its password, and node-postgres'
// errors translated to peh's codes. Nothing else in the adapter looks at a driver error's code.
import type { PoolConfig } from "pg";
import { PehError } from "../../errors.js";

/** What `--store` / `$PEH_STORE` names: a postgres:// URL, or `postgres` alone for the PG* variables. */
export function isPostgresStore(value: string | undefined): boolean {
  return value !== undefined && /^postgres(ql)?(:\/\/.*)?$/i.test(value.trim());
}

export interface Connection {
  config: PoolConfig;
  /** The server as a message names it: a URL without password. */
  where: string;
  /**
   * The database's name: what every host calls it, however it reaches the server (each host may
   * use another address for it, as a worker in another network does).
   */
  database: string;
}

/**
 * The pool config for `store` (`postgres://…`, or `postgres` alone: libpq's PG* variables in `env`),
 * and how messages name it. Throws USAGE for a URL that does not parse.
 */
export function connectionOf(store: string, env: NodeJS.ProcessEnv = process.env): Connection {
  const base: PoolConfig = { connectionTimeoutMillis: 5_000, max: 4, idleTimeoutMillis: 10_000, application_name: "peh" };
  if (/^postgres(ql)?$/i.test(store.trim())) {
    // libpq's defaults: the user is PGUSER, else the system's; the database PGDATABASE, else the user.
    const user = env.PGUSER ?? env.USER ?? "";
    const database = env.PGDATABASE ?? user;
    const where = `postgres://${user}${env.PGUSER || env.USER ? "@" : ""}${env.PGHOST ?? "localhost"}:${env.PGPORT ?? "5432"}/${database}`;
    return { config: base, where: `${where} (from the PG* variables)`, database };
  }
  let url: URL;
  try {
    url = new URL(store);
  } catch {
    throw new PehError("USAGE", `the store URL "${redactUrl(store)}" does not parse`, "write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or --store postgres to use the PG* variables");
  }
  return { config: { ...base, connectionString: store }, where: redactUrl(url.toString()), database: decodeURIComponent(url.pathname.slice(1)) || url.username || (env.USER ?? "") };
}

/** The URL with its password replaced by `***` (and nothing else changed). */
export function redactUrl(text: string): string {
  return text.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@/]*@/i, "$1***@");
}

/** A failure that means the server could not be reached or dropped the connection: worth a retry. */
export function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"].includes(code)) return true;
    // admin_shutdown (pg_terminate_backend, a fast stop), crash_shutdown, cannot_connect_now (starting up or in recovery)
    if (["57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"].includes(code)) return true;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(message);
}

/** STORE_UNAVAILABLE for a server that could not be reached (or refused peh), naming it and the fix. */
export function unavailable(where: string, error: unknown): PehError {
  const code = (error as { code?: unknown }).code;
  const why = error instanceof Error ? error.message : String(error);
  const fix =
    code === "28P01" || code === "28000"
      ? "check the user and password (in the URL, or PGPASSWORD / ~/.pgpass)"
      : code === "3D000"
        ? "make the database first (createdb NAME, or CREATE DATABASE), or name one that exists"
        : "start the server (pg_ctl start), or check the host and port in --store / $PEH_STORE; `psql URL -c 'select 1'` tells whether it answers";
  return new PehError("STORE_UNAVAILABLE", `cannot use the PostgreSQL store ${where}: ${redactUrl(why)}`, fix, { code: typeof code === "string" ? code : undefined });
}

/** Whether a failure at connection time is the server refusing peh's login or database (not worth a retry). */
export function isRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "28P01" || code === "28000" || code === "3D000" || code === "42501";
}
