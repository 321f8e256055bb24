// The adapter half of events/: only runtime/ and tests import it.
export { InMemoryEventStore } from "./memory-store.js";
export { LowdbEventStore } from "./lowdb-store.js";
export { JsonLinesAppendAdapter, type RunLog } from "./jsonl-append-adapter.js";
export { FileLock } from "./file-lock.js";
export { describeHolder, holderText, isHolderAlive, isProcessAlive, parseHolder, sameHolder, thisProcess, type Holder } from "./process-identity.js";
export { PostgresEventStore, PostgresLeases, PostgresOutput, connectionOf, isPostgresStore, redactUrl, SCHEMA_VERSION, type PostgresStoreOptions } from "./adapters/postgres/index.js";
