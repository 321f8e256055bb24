// Everything with effects: the command handler over a store, and where the store lives.
export * from "./command-handler.js";
export * from "./store/open.js";
