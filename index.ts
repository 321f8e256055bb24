// peh as a library: the event vocabulary, the machines and decider, the projections.
export * from "./events/index.js";
export * from "./machines/index.js";
export * from "./projections/index.js";
