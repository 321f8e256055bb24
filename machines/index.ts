// The four lifecycles, the run aggregate that routes events to them, and the decider.
export * from "./plan.js";
export * from "./memo/plan-memo.js";
export * from "./run-budget.js";
export * from "./task.js";
export * from "./memo/task-memo.js";
export * from "./worker.js";
export * from "./bootstrap.js";
export * from "./fold/state-name.js";
export * from "./fold/run.js";
export * from "./decider/commands.js";
export * from "./decider/decider.js";
export * from "./diagram.js";
export * from "./memo/step.js";
export * from "./decider/wrap-up.js";
