// The event vocabulary: schemas, envelope, errors and the EventStore interface. Anyone may import
// this; the adapters (lowdb, in-memory) are imported from `events/adapters.js` by runtime and tests.
export * from "./errors.js";
export * from "./ids.js";
export * from "./agent.js";
export * from "./plan.js";
export * from "./envelope-base.js";
export * from "./vocabulary/plan-events.js";
export * from "./vocabulary/bootstrap-events.js";
export * from "./sandbox.js";
export * from "./vocabulary/worker-events.js";
export * from "./vocabulary/task-events.js";
export * from "./vocabulary/lineage-events.js";
export * from "./vocabulary/recovery-events.js";
export * from "./vocabulary/workspace-events.js";
export * from "./envelope.js";
export * from "./store.js";
