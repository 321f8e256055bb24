// Pure. The decider: (run state, command) → the events to append, each one checked with the
// machines before the next is built, plus the run state after them and the effects they name.
// It stamps seq, id, entity and from/to; time and actor come from the command.
import { PehError, PehEventSchema, isPehError, type PehEvent, type Plan, type PlanFile, type RiskyTask } from "../../events/index.js";
import type { Candidate, Legality } from "./candidate.js";
import { CommandSchema, type Command, type CommandInput } from "./commands.js";
import { hasTag, mayHandle } from "../memo/lite.js";
import { grantWords, unconfirmedRisky, widening } from "../grants.js";
import { planMachine, riskyTasksOf } from "../plan.js";
import { executionCandidates } from "./execution-candidates.js";
import { workspaceCandidates } from "./workspace-candidates.js";
import { SETTLES_DEPENDENTS, taskMachine } from "../task.js";
import { RECHECK_NONE, entityOf, entityState, evolve, recheckedTasks, whyIllegal, type Effect, type RunState } from "../fold/run.js";
import { stateName } from "../fold/state-name.js";
import { VersionedMap } from "../fold/versioned-map.js";
import { orderByDependencies } from "./wrap-up.js";

export type { Candidate } from "./candidate.js";

export interface DecideResult {
  events: PehEvent[];
  /** The run after the events: the live state once they are appended. */
  state: RunState;
  effects: Effect[];
}

interface Draft {
  readonly state: RunState;
  readonly command: Command;
  /** Would this candidate be legal now? Asks the machines without changing anything. */
  legal: Legality;
}

/**
 * A copy that `evolve` can change without touching the caller's state. Cells are copied on write
 * (a new token); the maps fork in O(1) once they are versioned (the first draft of a run converts
 * them), so a decision costs what it changes.
 */
export function cloneRun(state: RunState): RunState {
  return {
    ...state,
    token: {},
    tasks: fork(state.tasks),
    workers: fork(state.workers),
    dependents: fork(state.dependents),
  };
}

function fork<K, V>(map: Map<K, V>): Map<K, V> {
  return map instanceof VersionedMap ? map.fork() : new VersionedMap(map);
}

/**
 * Decides a command against the current run. Throws a PehError (`USAGE` for a malformed command,
 * `ILLEGAL_TRANSITION` when a machine refuses) and then nothing is to be appended.
 *
 * @example
 * const { events, state: next } = decide(state, { type: "ApprovePlan", actor: "ana", at, version: 1 });
 * await store.append(runId, events, state.seq);
 */
export function decide(state: RunState, input: CommandInput): DecideResult {
  const parsed = CommandSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PehError("USAGE", `invalid command: ${issue?.path.join(".") || "command"}: ${issue?.message}`);
  }
  const command = parsed.data;
  const draft = cloneRun(state);
  const runId = command.type === "CreatePlan" ? command.run_id : draft.run_id;
  if (runId === null) {
    throw new PehError("RUN_NOT_FOUND", `${command.type} needs a run, and this one has no plan yet`, "create one with `peh plan`");
  }
  const stamp = (candidate: Candidate, at: RunState): PehEvent => {
    // Parsed like any event at a boundary (defaults filled, nothing unknown kept); the entity is
    // a placeholder until the parsed type and data say which machine it belongs to.
    const parsed = PehEventSchema.safeParse({
      ...candidate,
      id: `${runId}.${at.seq + 1}`,
      run_id: runId,
      seq: at.seq + 1,
      at: command.at,
      actor: command.actor,
      ...(command.via === undefined ? {} : { via: command.via }),
      entity: "plan",
    });
    if (!parsed.success) {
      // The command asks for something the run's state cannot describe yet, e.g. recording the
      // exit of a task that never started (attempt 0).
      const issue = parsed.error.issues[0];
      throw new PehError(
        "ILLEGAL_TRANSITION",
        `${command.type} refused: ${candidate.type} is not possible now (${issue?.path.join(".")}: ${issue?.message})`,
        hintFor(at),
      );
    }
    const event = parsed.data;
    const entity = entityOf(event);
    return { ...event, entity, from: entityState(at, entity) } as PehEvent;
  };
  const events: PehEvent[] = [];
  const effects: Effect[] = [];
  // The last candidate asked about, stamped and judged: most are yielded right after `legal` says
  // yes, and the draft has not moved (same seq), so they are not parsed and judged twice.
  let asked: { candidate: Candidate; seq: number; event: PehEvent; why: string | undefined } | undefined;
  const context: Draft = {
    state: draft,
    command,
    legal: (candidate) => {
      try {
        const event = stamp(candidate, draft);
        asked = { candidate, seq: draft.seq, event, why: whyIllegal(draft, event) };
        return asked.why === undefined;
      } catch (error) {
        if (isPehError(error, "ILLEGAL_TRANSITION")) return false;
        throw error;
      }
    },
  };
  for (const candidate of candidates(context)) {
    const known = asked !== undefined && asked.candidate === candidate && asked.seq === draft.seq ? asked : undefined;
    const event = known ? known.event : stamp(candidate, draft);
    const why = known ? known.why : whyIllegal(draft, event);
    if (why !== undefined) {
      throw new PehError("ILLEGAL_TRANSITION", `${command.type} refused: ${why}`, hintFor(draft), { event });
    }
    effects.push(...evolve(draft, event));
    const to = entityState(draft, event.entity);
    events.push(to === undefined ? event : { ...event, to });
  }
  return { events, state: draft, effects };
}

/** For a refusal: what a human can do instead, by where the plan is. */
function hintFor(state: RunState): string | undefined {
  const plan = stateName(state.plan.value);
  switch (plan) {
    case "awaiting_approval":
      return `the plan waits for approval: \`peh show\`, then \`peh approve --version ${state.plan.context.version} --as NAME\``;
    case "clarification_requested":
      return 'a question about the plan waits for an answer: `peh clarify --answer "…" --as NAME`';
    case "approved":
    case "bootstrapping":
    case "executing":
      return "the plan is approved and runs: `peh status` shows where it is";
    case "awaiting_decision":
      return "a failed task waits for a decision: `peh status` names it, `peh decide --task ID retry|skip|abort --as NAME` answers it";
    case "rejected":
      return "the plan was rejected: create a new one with `peh plan`";
    case "aborting":
      return "the run is being aborted: `peh run` stops what runs and records the end";
    case "completed":
    case "failed":
    case "aborted":
      return `the run has ended (${plan}): start a new one with \`peh plan\``;
    default:
      return undefined;
  }
}

function nextVersion(state: RunState, file: PlanFile): Plan {
  return { ...file, version: (state.plan_spec?.version ?? 0) + 1 };
}

function* candidates({ state, command, legal }: Draft): Generator<Candidate, void, unknown> {
  switch (command.type) {
    case "CreatePlan": {
      const plan: Plan = { ...command.plan, version: 1 };
      const lineage = command.lineage === undefined ? {} : { lineage: command.lineage };
      yield { type: "PLAN_CREATED", data: { plan, workspace: command.workspace, planner: command.planner, ...lineage } };
      yield { type: "GATE_APPROVAL_REQUESTED", data: { version: 1, risky_tasks: riskyTasksOf(plan) } };
      return;
    }
    case "ApprovePlan": {
      const given = new Set(command.confirmations);
      const risky = state.plan_spec ? riskyTasksOf(state.plan_spec) : [];
      const missing = risky.filter((r) => !given.has(r.phrase));
      if (missing.length > 0 && stateName(state.plan.value) === "awaiting_approval") {
        throw new PehError(
          "CONFIRMATION_MISSING",
          `approving version ${command.version} needs the phrase of every risky task; missing: ${missing
            .map((r) => `${r.task_id} ("${r.phrase}"${r.grants ? `: ${grantWords(r.grants).join("; ")}` : ""})`)
            .join(", ")}`,
          `peh approve --as NAME ${risky.map((r) => `--confirm "${r.phrase}"`).join(" ")}`,
        );
      }
      yield {
        type: "GATE_APPROVED",
        data: { version: command.version, confirmations: risky.filter((r) => given.has(r.phrase)) },
      };
      return;
    }
    case "ModifyPlan": {
      const plan = nextVersion(state, command.plan);
      yield { type: "GATE_MODIFIED", data: { plan, change: command.change } };
      yield { type: "GATE_APPROVAL_REQUESTED", data: { version: plan.version, risky_tasks: riskyTasksOf(plan) } };
      return;
    }
    case "RequestClarification":
      yield { type: "GATE_CLARIFICATION_REQUESTED", data: { version: currentVersion(state), question: command.question } };
      return;
    case "AnswerClarification": {
      const plan = state.plan_spec;
      yield {
        type: "GATE_APPROVAL_REQUESTED",
        data: { version: currentVersion(state), risky_tasks: plan ? riskyTasksOf(plan) : [], note: command.answer },
      };
      return;
    }
    case "RejectPlan":
      yield { type: "GATE_REJECTED", data: { version: currentVersion(state), reason: command.reason } };
      return;
    case "ChangePlan": {
      const plan = nextVersion(state, command.plan);
      const kept = new Set(plan.tasks.map((t) => t.id));
      // Dropped tasks are skipped first, each judged by its machine (one that ran refuses).
      for (const [task_id, cell] of state.tasks) {
        if (kept.has(task_id) || stateName(cell.value) === "skipped") continue;
        yield { type: "TASK_SKIPPED", data: { task_id, reason: "plan_changed" } };
      }
      const settled = [...state.tasks].filter(([, cell]) => hasTag(taskMachine, cell, SETTLES_DEPENDENTS)).map(([id]) => id);
      const given = new Set(command.confirmations);
      // The plan machine's rule (newRiskyConfirmed), asked here to name what is missing.
      const granted = state.plan.context.granted;
      const added = unconfirmedRisky(granted, riskyTasksOf(plan));
      const missing = added.filter((r) => !given.has(r.phrase));
      // Where no change may be made at all, the plan machine's refusal says so instead.
      if (missing.length > 0 && mayHandle(planMachine, state.plan.value, "PLAN_CHANGED")) {
        throw new PehError(
          "CONFIRMATION_MISSING",
          `the change adds risky tasks or grants; each needs its phrase: ${missing.map((r) => `${r.task_id} ("${r.phrase}"${newGrants(granted, r)})`).join(", ")}`,
          `add ${missing.map((r) => `--confirm "${r.phrase}"`).join(" ")}`,
        );
      }
      const confirmations = added.filter((risky) => given.has(risky.phrase));
      yield { type: "PLAN_CHANGED", data: { plan, change: command.change, settled, confirmations } };
      return;
    }
    case "StartBootstrapPhase":
      yield { type: "BOOTSTRAP_PHASE_STARTED", data: { phase: command.phase } };
      return;
    case "CompleteBootstrapPhase":
      yield {
        type: "BOOTSTRAP_PHASE_COMPLETED",
        data: { phase: command.phase, artifacts: command.artifacts, diagnostics: command.diagnostics },
      };
      return;
    case "FailBootstrapPhase":
      yield {
        type: "BOOTSTRAP_PHASE_FAILED",
        data: { phase: command.phase, error: command.error, diagnostics: command.diagnostics },
      };
      return;
    case "ScheduleReadyTasks": {
      // A rerun's reused tasks settle first, each as its machine allows (issue 22).
      if (state.reuse !== null) yield* reuseCandidates(state, legal);
      // Only the tasks that may have become ready since the last turn (run.ts, Recheck); the
      // machines of those this turn readies add them to the next turn's list.
      const { recheck } = state;
      state.recheck = RECHECK_NONE;
      for (const id of recheck.all ? state.tasks.keys() : recheckedTasks(recheck.ids)) {
        const cell = state.tasks.get(id);
        // Only cells whose state has a TASK_READY transition at all are asked the full question.
        if (!cell || !mayHandle(taskMachine, cell.value, "TASK_READY")) continue;
        const candidate: Candidate = { type: "TASK_READY", data: { task_id: id } };
        if (legal(candidate)) yield candidate;
      }
      return;
    }
    case "StartRunBranch":
    case "RecordWorktree":
    case "RecordRebase":
    case "RecordConflict":
    case "RecordMerge":
    case "RecordArchive":
    case "RecordWorktreeRemoved":
    case "RecordLanding":
      yield* workspaceCandidates(state, command, legal);
      return;
    default:
      yield* executionCandidates(state, command, legal);
  }
}

/** `: now asks for the network` — what a change adds to a task's grants, for the refusal. */
function newGrants(granted: readonly RiskyTask[], risky: RiskyTask): string {
  const before = granted.find((known) => known.task_id === risky.task_id)?.grants;
  const words = grantWords(widening(before, risky.grants));
  return words.length === 0 ? "" : `: now ${words.join("; ")}`;
}

/** TASK_REUSED for every task of a rerun that may take over its source's result now, upstream first. */
function* reuseCandidates(state: RunState, legal: Legality): Generator<Candidate, void, unknown> {
  const reuse = state.reuse!;
  for (const spec of orderByDependencies(state.plan_spec ?? { tasks: [] })) {
    const cell = state.tasks.get(spec.id);
    const result = reuse.results.get(spec.id);
    if (!cell || !result || !cell.context.reusable || !mayHandle(taskMachine, cell.value, "TASK_REUSED")) continue;
    const candidate: Candidate = { type: "TASK_REUSED", data: { ...result, source_run: reuse.source_run } };
    if (legal(candidate)) yield candidate;
  }
}

function currentVersion(state: RunState): number {
  return state.plan_spec?.version ?? 0;
}
