// The throwaway PostgreSQL server (bench/pg-server.ts) as the suites use it: where no PostgreSQL
// binaries exist they skip, saying so, unless PEH_REQUIRE_PG=1.
import { afterAll, beforeAll, describe } from "vitest";
import { PgServer, postgresBinaries } from "../../bench/pg-server.js";

export { PgServer, postgresBinaries };

/**
 * `describe` with a throwaway server started before and removed after; skipped, saying why, where
 * no PostgreSQL binaries exist (a failure instead under PEH_REQUIRE_PG=1).
 */
export function describeWithPostgres(name: string, body: (server: () => PgServer) => void): void {
  const found = postgresBinaries();
  if ("missing" in found && process.env.PEH_REQUIRE_PG !== "1") {
    console.warn(`skipping "${name}": ${found.missing}; set PEH_REQUIRE_PG=1 to make this a failure`);
    describe.skip(name, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let server: PgServer | undefined;
    beforeAll(async () => {
      server = await PgServer.start();
    });
    afterAll(async () => {
      await server?.remove();
    });
    body(() => {
      if (!server) throw new Error("the PostgreSQL server did not start");
      return server;
    });
  });
}
