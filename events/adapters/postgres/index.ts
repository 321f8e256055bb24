// The PostgreSQL adapter's public surface (runtime/ and tests import it through events/adapters.js).
export { PostgresEventStore, type PostgresStoreOptions } from "./store.js";
export { connectionOf, isPostgresStore, redactUrl } from "./connection.js";
export { SCHEMA_VERSION } from "./schema.js";
export { PostgresLeases, type LeaseHolding } from "./leases.js";
export { PostgresOutput } from "./output.js";
