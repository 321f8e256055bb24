// Attempts' output in the PostgreSQL store (events/adapters/postgres/output.ts), on a throwaway
// server: read back from any offset as far as its chunks join up, a chunk sent twice kept once,
// and a reader never shown a byte twice or past a hole.
import { afterAll, beforeAll, expect, it } from "vitest";
import { PostgresEventStore } from "../../events/adapters.js";
import { describeWithPostgres } from "../support/postgres.js";

describeWithPostgres("attempts' output on PostgreSQL", (server) => {
  let store: PostgresEventStore;
  beforeAll(async () => {
    store = new PostgresEventStore(await server().database());
    await store.listRuns(); // makes the schema
  });
  afterAll(async () => {
    await store.close();
  });

  it("reads a log from any offset, a chunk sent twice kept once", async () => {
    const out = store.output;
    await out.save("r-out", "build#1", 0, Buffer.from("$ make\n"));
    await out.save("r-out", "build#1", 7, Buffer.from("compiling\n"));
    await out.save("r-out", "build#1", 7, Buffer.from("compiling\n"));
    expect((await out.read("r-out", "build#1"))?.toString()).toBe("$ make\ncompiling\n");
    expect((await out.readFrom("r-out", "build#1", 7)).toString()).toBe("compiling\n");
    expect((await out.readFrom("r-out", "build#1", 10)).toString()).toBe("piling\n");
    expect((await out.readFrom("r-out", "build#1", 17)).length).toBe(0);
    expect(await out.size("r-out", "build#1")).toBe(17);
    expect(await out.read("r-out", "other#1")).toBeUndefined();
  });

  it("shows an overlapping chunk's new bytes only, and nothing past a hole", async () => {
    const out = store.output;
    await out.save("r-out", "odd#1", 0, Buffer.from("abcdef"));
    // Overlaps what is there (a copy sent again, longer): only "gh" is new.
    await out.save("r-out", "odd#1", 4, Buffer.from("efgh"));
    // A hole from 8 to 10: what lies past it is not shown.
    await out.save("r-out", "odd#1", 10, Buffer.from("zz"));
    expect((await out.read("r-out", "odd#1"))?.toString()).toBe("abcdefgh");
    expect((await out.readFrom("r-out", "odd#1", 5)).toString()).toBe("fgh");
    expect((await out.readFrom("r-out", "odd#1", 8)).length).toBe(0);
  });
});
