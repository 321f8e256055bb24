// Where a PostgreSQL store's runs keep their files on this host (the journal of their attempts'
// processes, the local copy of their output): one directory per database, whatever address this
// process reaches the server at, so workers of one host in different networks share it and the
// one that takes over a dead worker's attempt finds (and kills) what it left running.
import { afterEach, describe, expect, it } from "vitest";
import { PostgresEventStore } from "../../events/adapters.js";
import { RunIdSchema } from "../../events/index.js";
import { placeOf } from "../../runtime/store/place.js";

const run = RunIdSchema.parse("r-20261202-120000-abcd");
const stores: PostgresEventStore[] = [];
const open = (url: string, env?: NodeJS.ProcessEnv) => {
  const store = new PostgresEventStore(url, env ? { env } : {});
  stores.push(store);
  return store;
};
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

describe("a PostgreSQL store's place on this host", () => {
  it("is the same for one database reached at two addresses, with other users and ports", () => {
    const a = placeOf(open("postgres://postgres@127.0.0.1:5432/peh_team"));
    const b = placeOf(open("postgres://ana:secret@10.201.1.1:55432/peh_team"));
    expect(b.runDir(run)).toBe(a.runDir(run));
    expect(b.where).not.toBe(a.where);
  });

  it("differs between databases, and takes the database from PGDATABASE with --store postgres", () => {
    const a = placeOf(open("postgres://postgres@127.0.0.1:5432/peh_team"));
    const other = placeOf(open("postgres://postgres@127.0.0.1:5432/peh_other"));
    const fromVariables = placeOf(open("postgres", { PGDATABASE: "peh_team", PGHOST: "db.internal" }));
    expect(other.runDir(run)).not.toBe(a.runDir(run));
    expect(fromVariables.runDir(run)).toBe(a.runDir(run));
  });
});
