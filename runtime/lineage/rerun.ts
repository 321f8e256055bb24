// `peh rerun RUN [--from TASK] [--plan FILE]` (DESIGN §15, issue 22): a new run of the source's
// plan, or of a changed one, awaiting its own approval. Every task not downstream of TASK (without
// --from: every task that succeeded) whose definition is unchanged takes over the source's
// recorded result (TASK_REUSED, with its evidence) instead of running again; the rest run afresh.
// The source's log is only read.
//
// With worktree isolation, the rerun's branch starts from the source's commits of the reused tasks
// (rerun-branch.ts says how); a reused commit that cannot be stacked without a task that runs
// afresh is not reused, and the rerun says so.
import { resolve } from "node:path";
import { isolationOf, PehError, type EventStore, type Lineage, type PehEvent, type PlanFile, type Problem, type ReusedResult, type RunId, type TaskId } from "../../events/index.js";
import { reusableIn, reuseOf } from "../../machines/reuse.js";
import type { RunState } from "../../machines/fold/run.js";
import { stateName } from "../../machines/fold/state-name.js";
import { preparePlan, recordRun, validatedPlan, type CreatedRun } from "../gate/gate.js";
import { readRun } from "../store/read-run.js";
import { fitReuseToBranch } from "./rerun-branch.js";

/** Plan states of a run that has started and not ended: its results may still change. */
const UNDER_WAY = new Set(["approved", "bootstrapping", "executing", "awaiting_decision", "aborting"]);

export interface RerunInput {
  actor?: string;
  /** The task to rerun from: it and everything downstream of it run afresh. */
  from?: string;
  /** A changed plan (YAML or JSON), validated like `peh plan --from`; relative to `cwd`. */
  plan?: string;
  cwd?: string;
  strict?: boolean;
}

export interface Rerun extends CreatedRun {
  source_run: RunId;
  reused: ReusedResult[];
  /** The tasks that run afresh, in plan order. */
  fresh: TaskId[];
  /** What the rerun decided beyond the rule (a reused commit that would conflict, run afresh instead). */
  notes: string[];
}

/** Records the rerun awaiting approval; bad input throws (USAGE, PLAN_INVALID) with nothing recorded. */
export async function rerunRun(store: EventStore, sourceId: RunId, input: RerunInput = {}): Promise<Rerun> {
  const { events, state } = await readRun(store, sourceId);
  const phase = stateName(state.plan.value);
  if (UNDER_WAY.has(phase)) {
    throw new PehError(
      "USAGE",
      `run ${sourceId} is still under way (${phase.replaceAll("_", " ")}): its results may still change, so it cannot be rerun yet; nothing was recorded`,
      `let it end (\`peh status ${sourceId}\`), or stop it with \`peh cancel ${sourceId} --as NAME\`, then rerun it`,
    );
  }
  if (state.plan_spec === null || state.workspace === null) throw new PehError("RUN_NOT_FOUND", `run ${sourceId} has no plan to rerun`);
  const workspace = state.workspace;
  const source = sourcePlan(state);
  const prepared = input.plan === undefined
    ? { ...validatedPlan(source, { workspace, strict: input.strict }), planner: plannerOf(events) }
    : await preparePlan({ workspace, from: resolve(input.cwd ?? process.cwd(), input.plan), strict: input.strict });
  const plan = prepared.plan;
  const from = input.from === undefined ? undefined : taskNamed(input.from, state, plan);
  const downstream = from === undefined ? new Set<TaskId>() : downstreamOf(plan, from);
  const results = recordedResults(events, state);
  const sourceSpecs = new Map(state.plan_spec.tasks.map((task) => [task.id, JSON.stringify(task)]));
  const candidates = plan.tasks.filter((task) => !downstream.has(task.id) && results.has(task.id) && sourceSpecs.get(task.id) === JSON.stringify(task));
  // What the rerun's machines will take over: unchanged, succeeded, and everything it builds on too.
  const draft: Lineage = { kind: "rerun", source_run: sourceId, from_task: from ?? null, reused: candidates.map((task) => results.get(task.id)!) };
  const narrow = (without: ReadonlySet<TaskId>) => reusableIn(reuseOf({ ...draft, reused: draft.reused.filter((r) => !without.has(r.task_id)) }, plan), plan);
  const fitted = usesWorktrees(plan)
    ? await fitReuseToBranch(events, workspace, narrow(new Set()), narrow)
    : { reusable: narrow(new Set()), conflicts: [] };
  const reusable = fitted.reusable;
  const reused = draft.reused.filter((result) => reusable.has(result.task_id));
  const notes = fitted.conflicts.map(
    (c) => `${c.task_id} runs afresh, and what builds on it: its commit on ${sourceId}'s branch does not apply without the change of a task that runs afresh (conflict in ${c.files.join(", ")})`,
  );
  const lineage: Lineage = { ...draft, reused };
  const created = await recordRun(store, { ...prepared, problems: prepared.problems as Problem[] }, { workspace, actor: input.actor, lineage });
  return { ...created, source_run: sourceId, reused, fresh: plan.tasks.map((task) => task.id).filter((id) => !reusable.has(id)), notes };
}

/** Whether any task of the plan works in a worktree (only then does the rerun have a branch). */
function usesWorktrees(plan: PlanFile): boolean {
  return plan.tasks.some((task) => isolationOf(task, plan) === "worktree");
}


/** Who made the source's plan (a refine of the rerun asks the same planner). */
function plannerOf(events: readonly PehEvent[]): string {
  const created = events[0];
  return created?.type === "PLAN_CREATED" ? created.data.planner : "file";
}

/** The source's current plan, without its version (a new run starts at version 1). */
function sourcePlan(state: RunState): PlanFile {
  const { version: _version, ...plan } = state.plan_spec!;
  return plan;
}

/** `--from`'s task: one of the source's and of the plan rerun, or a USAGE error naming them. */
function taskNamed(id: string, state: RunState, plan: PlanFile): TaskId {
  const inSource = state.plan_spec!.tasks.some((task) => task.id === id);
  const inPlan = plan.tasks.some((task) => task.id === id);
  if (inSource && inPlan) return id as TaskId;
  const known = (inSource ? plan : state.plan_spec!).tasks.map((task) => task.id).join(", ");
  throw new PehError(
    "USAGE",
    `--from ${id}: ${inSource ? "the plan given with --plan has no such task" : `run ${state.run_id} has no task "${id}"`}; nothing was recorded`,
    `pick one of: ${known}`,
  );
}

/** The task and every task that depends on it, directly or not. */
export function downstreamOf(plan: Pick<PlanFile, "tasks">, from: TaskId): Set<TaskId> {
  const dependents = new Map<TaskId, TaskId[]>();
  for (const task of plan.tasks) for (const dep of task.depends_on) dependents.set(dep, [...(dependents.get(dep) ?? []), task.id]);
  const found = new Set<TaskId>([from]);
  const queue = [from];
  while (queue.length > 0) for (const next of dependents.get(queue.pop()!) ?? []) if (!found.has(next)) found.add(next), queue.push(next);
  return found;
}

/** The result each task that succeeded (or was itself reused) has in the source's log. */
function recordedResults(events: readonly PehEvent[], state: RunState): Map<TaskId, ReusedResult> {
  const results = new Map<TaskId, ReusedResult>();
  for (const event of events) {
    if (event.type !== "TASK_COMPLETED" && event.type !== "TASK_REUSED") continue;
    const { task_id, attempt, duration_ms, evidence } = event.data;
    results.set(task_id, { task_id, source_seq: event.seq, attempt, duration_ms, evidence });
  }
  for (const id of [...results.keys()]) {
    const cell = state.tasks.get(id);
    const name = cell ? stateName(cell.value) : undefined;
    if (name !== "succeeded" && name !== "reused") results.delete(id);
  }
  return results;
}
