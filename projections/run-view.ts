// Pure. The state of every machine of a run as plain data: what `peh status`, `peh replay` and
// `--json` print. Built from the folded machines, never from anything else.
import type { Grants, PehEvent, PlanTask, RiskyTask, SandboxProfile, TrustResolution } from "../events/index.js";
import { requestedGrants } from "../machines/grants.js";
import { foldRun, type RunState } from "../machines/fold/run.js";
import { stateName } from "../machines/fold/state-name.js";

export interface TaskView {
  id: string;
  objective: string;
  state: string;
  attempt: number;
  depends_on: string[];
  risky: boolean;
  /** The rights the task asks for beyond its scope (null: none); what was granted is the plan's `granted`. */
  grants: Grants | null;
  failure_class: string | null;
}

export interface WorkerView {
  id: string;
  task_id: string;
  attempt: number;
  state: string;
  trust: TrustResolution | null;
  /** The profile its processes ran under, once it ran. */
  sandbox: SandboxProfile | null;
}

export interface Progress {
  total: number;
  pending: number;
  active: number;
  succeeded: number;
  failed: number;
  skipped: number;
  upstream_failed: number;
  awaiting_decision: number;
  /** Rerun (issue 22): tasks that took over their source's result. */
  reused: number;
}

export interface RunView {
  run_id: string | null;
  seq: number;
  at: string | null;
  objective: string | null;
  plan: {
    state: string;
    version: number;
    approved_version: number | null;
    changed_by: string[];
    awaiting: string[];
    /** What humans confirmed, task by task, with the grants each phrase granted. */
    granted: RiskyTask[];
  };
  bootstrap: { state: string };
  tasks: TaskView[];
  workers: WorkerView[];
  progress: Progress;
}

const ACTIVE = new Set(["ready", "running", "verifying", "classifying", "classified", "retry_scheduled", "interrupted"]);

export function progressOf(tasks: readonly Pick<TaskView, "state">[]): Progress {
  const count = (name: string) => tasks.filter((task) => task.state === name).length;
  return {
    total: tasks.length,
    pending: count("pending"),
    active: tasks.filter((task) => ACTIVE.has(task.state)).length,
    succeeded: count("succeeded"),
    failed: count("failed"),
    skipped: count("skipped"),
    upstream_failed: count("upstream_failed"),
    awaiting_decision: count("awaiting_decision"),
    reused: count("reused"),
  };
}

export function viewOf(state: RunState): RunView {
  const specs = new Map((state.plan_spec?.tasks ?? []).map((task) => [task.id as string, task]));
  const tasks: TaskView[] = [...state.tasks].map(([id, snapshot]) => ({
    id,
    objective: specs.get(id)?.objective ?? "",
    state: stateName(snapshot.value),
    attempt: snapshot.context.attempt,
    depends_on: [...snapshot.context.depends_on],
    risky: specs.get(id)?.risky === true,
    grants: grantsOf(specs.get(id)),
    failure_class: snapshot.context.failure_class,
  }));
  const workers: WorkerView[] = [...state.workers].map(([id, snapshot]) => ({
    id,
    task_id: snapshot.context.task_id,
    attempt: snapshot.context.attempt,
    state: stateName(snapshot.value),
    trust: snapshot.context.trust,
    sandbox: snapshot.context.sandbox ?? null,
  }));
  const plan = state.plan.context;
  return {
    run_id: state.run_id,
    seq: state.seq,
    at: state.at,
    objective: state.plan_spec?.objective ?? null,
    plan: {
      state: stateName(state.plan.value),
      version: plan.version,
      approved_version: plan.approved_version,
      changed_by: [...plan.changed_by],
      awaiting: [...plan.awaiting],
      granted: [...plan.granted],
    },
    bootstrap: { state: stateName(state.bootstrap.value) },
    tasks,
    workers,
    progress: progressOf(tasks),
  };
}

const grantsOf = (task: PlanTask | undefined): Grants | null => (task === undefined ? null : requestedGrants(task) ?? null);

/** The view of a whole log. */
export function runView(events: Iterable<PehEvent>): RunView {
  return viewOf(foldRun(events));
}
