// Pure folds of the event log: run state, progress, time travel.
export * from "./run-view.js";
export * from "./state-at.js";
export * from "./gate-history.js";
