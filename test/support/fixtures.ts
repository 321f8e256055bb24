// Plans and command sequences the specs share. Everything is parsed through the real schemas.
import { PlanFileSchema, RunIdSchema, type PlanFile, type PlanFileInput, type TaskId } from "../../events/index.js";
import type { CommandInput } from "../../machines/decider/commands.js";

export const RUN = RunIdSchema.parse("r-test");
export const AT = "2026-01-15T14:23:45.000Z";

export function planFile(input: PlanFileInput): PlanFile {
  return PlanFileSchema.parse(input);
}

/** build → (test, lint) → deploy(risky): a diamond with one risky step. */
export const diamond = planFile({
  objective: "Release the service",
  tasks: [
    { id: "build", objective: "Compile to dist/", scope: "workspace", run: "true", acceptance_tests: ["true"] },
    { id: "test", objective: "Run unit tests", scope: "workspace", depends_on: ["build"], run: "true", acceptance_tests: ["true"] },
    { id: "lint", objective: "Lint sources", scope: "workspace", depends_on: ["build"], run: "true", acceptance_tests: ["true"] },
    {
      id: "deploy",
      objective: "Deploy to production",
      scope: "workspace",
      depends_on: ["test", "lint"],
      run: "./deploy.sh",
      acceptance_tests: ["true"],
      risky: true,
      confirm: "deploy to production",
    },
  ],
});

export const tid = (id: string) => id as TaskId;

export const create = (plan: PlanFile = diamond): CommandInput => ({
  type: "CreatePlan",
  at: AT,
  run_id: RUN,
  plan,
  workspace: "/w/app",
});

export const approve = (version = 1, confirmations = ["deploy to production"]): CommandInput => ({
  type: "ApprovePlan",
  at: AT,
  actor: "ana",
  version,
  confirmations,
});

export const BOOTSTRAP: CommandInput[] = (
  ["cli_entry", "system_prompt_fastpath", "mcp_fastpath", "daemon_worker_fastpath", "main_runtime"] as const
).flatMap((phase) => [
  { type: "StartBootstrapPhase", at: AT, phase },
  { type: "CompleteBootstrapPhase", at: AT, phase },
]);

/** Every command that takes one task from ready to succeeded, trusted by the allowlist. */
export function runTask(id: string, attempt = 1): CommandInput[] {
  return [
    { type: "StartAttempt", at: AT, task_id: id, cwd: "/w/app" },
    { type: "ResolveTrust", at: AT, worker_id: `${id}#${attempt}`, resolution: { source: "allowlist", root: "/w/app" } },
    { type: "MarkWorkerRunning", at: AT, worker_id: `${id}#${attempt}`, pid: 4242 },
    { type: "RecordExit", at: AT, task_id: id, exit_code: 0 },
    { type: "RecordVerification", at: AT, task_id: id, evidence: [{ command: "true", exit_code: 0, duration_ms: 3 }] },
  ];
}

export const scheduleReady: CommandInput = { type: "ScheduleReadyTasks", at: AT };
export const finish: CommandInput = { type: "Finish", at: AT };
