import { PostgresEventStore } from "../../events/adapters.js";
import { describeEventStore } from "./conformance.js";
import { describeWithPostgres } from "../support/postgres.js";

describeWithPostgres("PostgreSQL store", (server) => {
  describeEventStore("PostgreSQL", async () => {
    const url = await server().database();
    return { store: new PostgresEventStore(url), reopen: () => new PostgresEventStore(url), cleanup: async () => {} };
  });
});
