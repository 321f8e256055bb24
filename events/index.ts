// The event vocabulary: schemas, envelope, errors and the EventStore interface. Anyone may import
// this; the adapters (lowdb, in-memory) are imported from `events/adapters.js` by runtime and tests.
export * from "./errors.js";
export * from "./ids.js";
export * from "./agent.js";
export * from "./plan.js";
export * from "./envelope-base.js";
export * from "./plan-events.js";
export * from "./bootstrap-events.js";
export * from "./sandbox.js";
export * from "./worker-events.js";
export * from "./task-events.js";
export * from "./lineage-events.js";
export * from "./recovery-events.js";
export * from "./workspace-events.js";
export * from "./envelope.js";
export * from "./store.js";
