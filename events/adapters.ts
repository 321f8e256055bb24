// The adapter half of events/: only runtime/ and tests import it.
export { InMemoryEventStore } from "./memory-store.js";
export { LowdbEventStore } from "./lowdb-store.js";
export { JsonLinesAppendAdapter, type RunLog } from "./jsonl-append-adapter.js";
export { FileLock, isProcessAlive } from "./file-lock.js";
