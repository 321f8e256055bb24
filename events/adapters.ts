// The adapter half of events/: only runtime/ and tests import it.
export { InMemoryEventStore } from "./adapters/memory/memory-store.js";
export { LowdbEventStore } from "./adapters/lowdb/lowdb-store.js";
export { JsonLinesAppendAdapter, type RunLog } from "./adapters/lowdb/jsonl-append-adapter.js";
export { FileLock } from "./adapters/lowdb/file-lock.js";
export { describeHolder, holderText, isHolderAlive, isProcessAlive, parseHolder, sameHolder, thisProcess, type Holder } from "./adapters/lowdb/process-identity.js";
export { PostgresEventStore, PostgresLeases, PostgresOutput, connectionOf, isPostgresStore, redactUrl, SCHEMA_VERSION, type PostgresStoreOptions } from "./adapters/postgres/index.js";
