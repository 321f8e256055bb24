// A throwaway PostgreSQL server, for the tests and the benchmark: initdb and pg_ctl as the
// `postgres` user (the server refuses root) in a temporary directory, on a free port, with
// fsync off (synchronous_commit stays on: a commit is still waited for), stopped and removed after.
import { execFileSync, execFile } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/** The server binaries' directory, or why there is none. */
export function postgresBinaries(): { bin: string } | { missing: string } {
  try {
    const bin = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    for (const tool of ["initdb", "pg_ctl", "postgres"]) {
      if (!existsSync(join(bin, tool))) return { missing: `${join(bin, tool)} does not exist (apt-get install postgresql)` };
    }
    return { bin };
  } catch {
    return { missing: "pg_config is not on PATH: no PostgreSQL server binaries (apt-get install postgresql)" };
  }
}

export class PgServer {
  private counter = 0;
  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    /** Addresses it listens on besides 127.0.0.1 (other hosts, e.g. network namespaces); trusted from 10.0.0.0/8. */
    private readonly also: string[] = [],
  ) {}

  static async start(options: { listen?: string[] } = {}): Promise<PgServer> {
    const found = postgresBinaries();
    if ("missing" in found) throw new Error(found.missing);
    const dir = mkdtempSync(join(tmpdir(), "peh-pg-"));
    const asRoot = userInfo().uid === 0;
    if (asRoot) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })));
    const server = new PgServer(found.bin, dir, await freePort(), options.listen ?? []);
    await server.tool("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]);
    if (server.also.length > 0) appendFileSync(join(dir, "data", "pg_hba.conf"), "host all all 10.0.0.0/8 trust\n");
    await server.start();
    return server;
  }

  /** `postgres://postgres@127.0.0.1:PORT/DB` */
  url(database = "postgres"): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A fresh, empty database (each test gets its own store) and its URL. */
  async database(): Promise<string> {
    const name = `t${process.pid}_${++this.counter}`;
    await this.sql(`CREATE DATABASE ${name}`);
    return this.url(name);
  }

  /** Runs one statement as the superuser on `database`. */
  async sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], database = "postgres"): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    client.on("error", () => undefined);
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Cuts every connection to `database` but this one's, as a network failure or a DBA would. */
  async terminateAll(database: string): Promise<number> {
    const rows = await this.sql<{ n: string }>(`SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
    return Number(rows[0]?.n ?? 0);
  }

  async start(): Promise<void> {
    await this.tool("pg_ctl", [
      "-D", join(this.dir, "data"), "-l", join(this.dir, "log"), "-w", "-s",
      "-o", `-c listen_addresses=${["127.0.0.1", ...this.also].join(",")} -p ${this.port} -k ${this.dir} -c fsync=off -c full_page_writes=off -c max_connections=200`,
      "start",
    ]);
  }

  /** Stops the server: `immediate` is a crash (no checkpoint, recovery on the next start). */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await this.tool("pg_ctl", ["-D", join(this.dir, "data"), "-m", mode, "-w", "-s", "stop"]);
  }

  async remove(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async tool(name: string, args: string[]): Promise<void> {
    const path = join(this.bin, name);
    if (userInfo().uid === 0) await run("runuser", ["-u", "postgres", "--", path, ...args], { cwd: this.dir });
    else await run(path, args, { cwd: this.dir });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

