// The planning and approval gate as services: each turns a human's request into one command for
// the run (via RunHandle) and returns what the CLI shows. Invalid plans are refused before
// anything is recorded.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import {
  PehError,
  RunIdSchema,
  isPehError,
  type EventStore,
  type Lineage,
  type Plan,
  type PlanFile,
  type Problem,
  type RunId,
  type Via,
} from "../../events/index.js";
import type { CommandInput } from "../../machines/decider/commands.js";
import { mayHandle } from "../../machines/memo/lite.js";
import { planMachine } from "../../machines/plan.js";
import type { RunState } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { RunHandle } from "../command-handler.js";
import { gateRefusal, planAllows, type GateAction } from "./refusals.js";
import { moveTask, skipTask } from "../planning/edit.js";
import { detectContext } from "../planning/detect.js";
import { loadPlanFile } from "../planning/plan-file.js";
import { planFileProblems } from "../planning/plan-file-problems.js";
import { plannerFor } from "../planning/planner.js";
import { resolveRisk } from "../planning/risk.js";
import { nodeScopeFs } from "../planning/scope/scope-fs.js";
import { validatePlan } from "../planning/validate.js";
import { now } from "../execution/clock.js";
import { inGitRepository } from "../workspace/git/repo.js";

export { approveRun } from "./approve.js";
export { nextStep, requireApproved } from "./next.js";

export function newRunId(at = new Date()): RunId {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return RunIdSchema.parse(`r-${stamp}-${randomBytes(2).toString("hex")}`);
}

export interface PlanInput {
  workspace: string;
  /** A plan file (YAML or JSON). */
  from?: string;
  /** An objective for the planner, when there is no file. */
  objective?: string;
  /** `builtin` (default) or `cmd:<command>`. */
  planner?: string;
  plannerTimeoutMs?: number;
  strict?: boolean;
}

export interface PreparedPlan {
  plan: PlanFile;
  planner: string;
  /** Warnings that did not block the plan (errors throw). */
  problems: Problem[];
}

/** Throws PLAN_INVALID carrying every problem, or returns the plan with risk resolved. */
function checked(plan: PlanFile, input: PlanInput, locate?: (path: (string | number)[]) => number | undefined): { plan: PlanFile; problems: Problem[] } {
  const resolved = resolveRisk(plan);
  const problems = validatePlan(resolved, { workspace: input.workspace, strict: input.strict, fs: nodeScopeFs, ...(locate ? { locate } : {}), ...(needsGit(resolved) ? { git: inGitRepository(input.workspace) } : {}) });
  throwIfErrors(problems);
  return { plan: resolved, problems };
}

/** Whether any task asks for a worktree: only then is git asked whether the workspace is a repository. */
function needsGit(plan: PlanFile): boolean {
  return plan.isolation === "worktree" || plan.tasks.some((task) => task.isolation === "worktree");
}

function throwIfErrors(problems: Problem[]): void {
  const errors = problems.filter((problem) => problem.severity === "error");
  if (errors.length === 0) return;
  throw new PehError(
    "PLAN_INVALID",
    `the plan has ${errors.length} error${errors.length === 1 ? "" : "s"}; nothing was recorded`,
    "fix each problem listed and run the command again",
    { problems },
  );
}

export async function preparePlan(input: PlanInput): Promise<PreparedPlan> {
  if (input.from !== undefined && input.objective !== undefined && input.objective.trim() !== "") {
    // Either would be a plan: taking one silently would plan what the user did not ask for.
    throw new PehError("USAGE", `give an objective or a plan file, not both ("${input.objective}" and --from ${input.from})`, `peh plan --from ${input.from}, or peh plan "${input.objective}"`);
  }
  if (input.from !== undefined) {
    const loaded = await loadPlanFile(resolve(input.workspace, input.from));
    throwIfErrors(planFileProblems(loaded, { workspace: input.workspace, strict: input.strict, fs: nodeScopeFs }));
    return { ...checked(loaded.plan!, input, loaded.locate), planner: "file" };
  }
  if (input.objective === undefined || input.objective.trim() === "") {
    throw new PehError("USAGE", "nothing to plan: give an objective or a plan file", 'peh plan "add dark mode to the dashboard", or peh plan --from plan.yaml');
  }
  const planner = plannerFor(input.planner, { timeoutMs: input.plannerTimeoutMs, cwd: input.workspace });
  const plan = await planner.decompose(input.objective, detectContext(input.workspace));
  return { ...checked(plan, input), planner: planner.name };
}

export interface CreatedRun {
  run_id: RunId;
  plan: Plan;
  problems: Problem[];
}

/** Plans, validates and records a new run awaiting approval. */
export async function createRun(store: EventStore, input: PlanInput & { actor?: string }): Promise<CreatedRun> {
  return recordRun(store, await preparePlan(input), input);
}

/**
 * A plan already known (a rerun's: its source's, or a file's), validated like a new plan; throws
 * PLAN_INVALID carrying every problem, nothing recorded.
 */
export function validatedPlan(plan: PlanFile, input: { workspace: string; strict?: boolean }): { plan: PlanFile; problems: Problem[] } {
  return checked(plan, input);
}

/** Records a prepared plan as a new run awaiting approval; `lineage`: a rerun's source (issue 22). */
export async function recordRun(
  store: EventStore,
  prepared: PreparedPlan,
  input: { workspace: string; actor?: string; lineage?: Lineage },
): Promise<CreatedRun> {
  const runId = newRunId();
  const run = await RunHandle.open(store, runId);
  await run.handle({
    type: "CreatePlan",
    at: now(),
    actor: input.actor ?? "system",
    run_id: runId,
    plan: prepared.plan,
    workspace: resolve(input.workspace),
    planner: prepared.planner,
    ...(input.lineage ? { lineage: input.lineage } : {}),
  });
  return { run_id: runId, plan: run.state.plan_spec!, problems: prepared.problems };
}

/** One gate command; refused in plain words when the plan, where it stands, cannot take it. */
async function handle(action: GateAction, store: EventStore, runId: RunId, command: CommandInput): Promise<RunState> {
  const run = await RunHandle.open(store, runId);
  if (!planAllows(action, run.state)) throw gateRefusal(action, runId, run.state);
  await run.handle(command);
  return run.state;
}

export type Modification =
  | { kind: "file"; from: string }
  | { kind: "skip"; id: string }
  | { kind: "move"; id: string; where: "before" | "after"; other: string };

/**
 * A new plan version from a file or an edit, validated like a new plan. Before execution it
 * needs a new approval (GATE_MODIFIED). While the run executes it is a change mid-run
 * (PLAN_CHANGED): only with `confirmChange`, with the phrase of every risky task it adds or
 * whose grants it adds to or widens (the plan machine's rule), and
 * refused by the task machines if it would change or drop a task that already started.
 */
export async function modifyRun(
  store: EventStore,
  runId: RunId,
  input: { actor: string; via?: Via; modification: Modification; strict?: boolean; confirmChange?: boolean; confirmations?: string[] },
): Promise<RunState> {
  const run = await RunHandle.open(store, runId);
  // Asked first: a plan that can take no change refuses before its file is read or validated.
  const midRun = mayHandle(planMachine, run.state.plan.value, "PLAN_CHANGED");
  if (!midRun && !planAllows("modify", run.state)) throw gateRefusal("modify", runId, run.state);
  const current = currentPlan(run.state);
  const workspace = run.state.workspace ?? process.cwd();
  const m = input.modification;
  let edited: { plan: PlanFile; change: string };
  let locate: ((path: (string | number)[]) => number | undefined) | undefined;
  if (m.kind === "file") {
    const loaded = await loadPlanFile(resolve(workspace, m.from));
    throwIfErrors(planFileProblems(loaded, { workspace, strict: input.strict, fs: nodeScopeFs }));
    edited = { plan: loaded.plan!, change: `replaced from ${m.from}` };
    locate = loaded.locate;
  } else {
    edited = m.kind === "skip" ? skipTask(current, m.id) : moveTask(current, m.id, m.where, m.other);
  }
  const { plan } = checked(edited.plan, { workspace, strict: input.strict }, locate);
  if (!midRun) {
    await run.handle({ type: "ModifyPlan", at: now(), actor: input.actor, ...(input.via ? { via: input.via } : {}), plan, change: edited.change });
    return run.state;
  }
  if (!input.confirmChange) {
    throw new PehError(
      "USAGE",
      `run ${runId} is ${stateName(run.state.plan.value).replaceAll("_", " ")}: a change mid-run is applied without a new approval, so it needs --confirm-change; nothing was recorded`,
      "add --confirm-change (a change never alters a task that already started; risky tasks it adds, and tasks whose grants it widens, need --confirm PHRASE)",
    );
  }
  try {
    await run.handle({ type: "ChangePlan", at: now(), actor: input.actor, ...(input.via ? { via: input.via } : {}), plan, change: edited.change, confirmations: input.confirmations ?? [] });
  } catch (error) {
    if (!isPehError(error, "ILLEGAL_TRANSITION")) throw error;
    throw new PehError(
      "ILLEGAL_TRANSITION",
      `${error.message}; nothing was recorded`,
      "a change mid-run may add tasks, drop tasks that have not started, and alter those that have not started or that failed and wait (peh show lists each task's state)",
    );
  }
  return run.state;
}

/** What a refine made: the run, and clause by clause what the planner applied (null: it does not say). */
export interface RefinedRun {
  state: RunState;
  applied: string[] | null;
  not_applied: string[] | null;
  /** What feedback the planner understands, when some was not applied. */
  hint: string | null;
}

/** Asks the run's planner for a new version from feedback. */
export async function refineRun(store: EventStore, runId: RunId, input: { actor: string; feedback: string; plannerTimeoutMs?: number }): Promise<RefinedRun> {
  const run = await RunHandle.open(store, runId);
  // Asked before the planner: a run that cannot take a new version does not wait for one.
  if (!planAllows("refine", run.state)) throw gateRefusal("refine", runId, run.state);
  const workspace = run.state.workspace ?? process.cwd();
  const planner = plannerFor(plannerOf(await store.read(runId, { to: 1 })), { timeoutMs: input.plannerTimeoutMs, cwd: workspace });
  const refined = await planner.refine(currentPlan(run.state), input.feedback);
  const { plan } = checked(refined.plan, { workspace });
  await run.handle({ type: "ModifyPlan", at: now(), actor: input.actor, plan, change: refined.change });
  return { state: run.state, applied: refined.applied ?? null, not_applied: refined.not_applied ?? null, hint: refined.hint ?? null };
}

const viaOf = (input: { via?: Via }) => (input.via === undefined ? {} : { via: input.via });

export const clarifyRun = (store: EventStore, runId: RunId, input: { actor: string; via?: Via; question: string }) =>
  handle("question", store, runId, { type: "RequestClarification", at: now(), actor: input.actor, ...viaOf(input), question: input.question });

export const answerRun = (store: EventStore, runId: RunId, input: { actor: string; via?: Via; answer: string }) =>
  handle("answer", store, runId, { type: "AnswerClarification", at: now(), actor: input.actor, ...viaOf(input), answer: input.answer });

export const rejectRun = (store: EventStore, runId: RunId, input: { actor: string; via?: Via; reason: string }) =>
  handle("reject", store, runId, { type: "RejectPlan", at: now(), actor: input.actor, ...viaOf(input), reason: input.reason });

function currentPlan(state: RunState): PlanFile {
  if (!state.plan_spec) throw new PehError("RUN_NOT_FOUND", "the run has no plan");
  const { version: _version, ...plan } = state.plan_spec;
  return plan;
}

function plannerOf(first: readonly { type: string; data: unknown }[]): string | undefined {
  const created = first[0];
  return created?.type === "PLAN_CREATED" ? (created.data as { planner?: string }).planner : undefined;
}
