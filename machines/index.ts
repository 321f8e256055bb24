// The four lifecycles, the run aggregate that routes events to them, and the decider.
export * from "./plan.js";
export * from "./plan-memo.js";
export * from "./run-budget.js";
export * from "./task.js";
export * from "./task-memo.js";
export * from "./worker.js";
export * from "./bootstrap.js";
export * from "./state-name.js";
export * from "./run.js";
export * from "./commands.js";
export * from "./decider.js";
export * from "./diagram.js";
export * from "./step.js";
export * from "./wrap-up.js";
