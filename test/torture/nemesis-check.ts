// The nemesis's plan and its checker over the log (workers-nemesis.test.ts): a layered DAG whose
// chosen tasks wait for a file (so that a worker can be killed or stopped while they run), and
// the invariants of many workers: one terminal state each, recorded once; no result of a
// superseded attempt accepted; repeats only for idempotent tasks after their lease expired;
// dependencies respected; seq gapless.
import type { PehEvent } from "../../events/index.js";

export interface DagPlan {
  text: string;
  count: number;
  ids: Record<string, string>;
  deps: Map<string, string[]>;
  idempotent: Set<string>;
  layerOf(id: string): number;
}

/**
 * `layers` × `width` tasks; task i of layer l depends on tasks i and i+1 of layer l-1. The tasks
 * named in `blocking` (the first ones of layer 0) wait for `go-<id>` before they end. Every
 * command appends `<task> <attempt>` to executions.txt, so that repeats can be counted.
 */
export function dagPlan(layers: number, width: number, blocking: string[]): DagPlan {
  const id = (l: number, i: number) => `l${l}-${i}`;
  const deps = new Map<string, string[]>();
  const ids: Record<string, string> = {};
  blocking.forEach((name, i) => (ids[name] = id(0, i)));
  const waiting = new Set(Object.values(ids));
  const lines: string[] = [];
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < width; i++) {
      const me = id(l, i);
      const on = l === 0 ? [] : [...new Set([id(l - 1, i), id(l - 1, (i + 1) % width)])];
      deps.set(me, on);
      const record = `echo "$PEH_TASK_ID $PEH_ATTEMPT" >> executions.txt`;
      const run = waiting.has(me) ? `${record}; echo "$PEH_TASK_ID $PEH_ATTEMPT" >> starts.txt; while [ ! -f go-${me} ]; do sleep 0.05; done` : record;
      lines.push(`  - { id: ${me}, objective: "Task ${me}", scope: workspace, depends_on: [${on.join(", ")}], run: '${run}' }`);
    }
  }
  return {
    text: `objective: The nemesis DAG\ntasks:\n${lines.join("\n")}\n`,
    count: layers * width,
    ids,
    deps,
    idempotent: new Set(deps.keys()),
    layerOf: (task) => Number(/^l(\d+)-/.exec(task)?.[1] ?? -1),
  };
}

export interface NemesisSummary {
  done: number;
  lost: number;
  staleAccepted: number;
  takeovers: number;
  repeats: number;
  dependencyViolations: number;
  problems: string[];
}

const RESULTS = new Set(["TASK_VERIFYING", "TASK_COMPLETED", "TASK_FAILED", "FAILURE_CLASSIFIED", "WORKER_FINISHED", "WORKER_FAILED", "WORKER_RUNNING"]);

/** The invariants over the run's log and the executions its commands recorded. */
export function checkNemesisLog(plan: DagPlan, events: PehEvent[], executions: string[]): NemesisSummary {
  const problems: string[] = [];
  events.forEach((event, i) => {
    if (event.seq !== i + 1) problems.push(`seq gap: event ${i + 1} has seq ${event.seq}`);
  });
  const data = (event: PehEvent) => event.data as { task_id?: string; attempt?: number; worker_id?: string };
  // One terminal state each, recorded once.
  const completed = new Map<string, number[]>();
  for (const event of events) {
    if (event.type === "TASK_COMPLETED" || event.type === "TASK_SKIPPED" || (event.type === "DECISION_RECORDED" && event.data.decision !== "retry")) {
      const list = completed.get(data(event).task_id!) ?? [];
      list.push(event.seq);
      completed.set(data(event).task_id!, list);
    }
  }
  let done = 0;
  for (const task of plan.deps.keys()) {
    const seqs = completed.get(task) ?? [];
    if (seqs.length === 1 && events[seqs[0]! - 1]!.type === "TASK_COMPLETED") done++;
    else problems.push(`${task}: ${seqs.length} terminal events (${seqs.map((seq) => events[seq - 1]!.type).join(", ") || "none"})`);
  }
  // No result of a superseded attempt accepted: nothing of an expired worker after its expiry.
  let staleAccepted = 0;
  let takeovers = 0;
  const expired = new Map<string, number>(); // task → interruptions by lease expiry
  for (const event of events) {
    if (event.type !== "WORKER_LEASE_EXPIRED") continue;
    takeovers++;
    const { worker_id, task_id } = event.data;
    expired.set(task_id, (expired.get(task_id) ?? 0) + 1);
    const attempt = Number(worker_id.split("#")[1]);
    for (const later of events.slice(event.seq)) {
      const d = data(later);
      const ofIt = d.worker_id === worker_id || (d.task_id === task_id && d.attempt === attempt && later.type !== "TASK_INTERRUPTED");
      if (ofIt && RESULTS.has(later.type)) {
        staleAccepted++;
        problems.push(`${later.type} #${later.seq} of ${worker_id} accepted after its lease expired (#${event.seq})`);
      }
    }
  }
  // Executions: each attempt's command at most once; more than one attempt only for an idempotent
  // task, and only as many as its attempts interrupted (by an expired lease) allow.
  let repeats = 0;
  const byTask = new Map<string, string[]>();
  for (const line of executions) {
    const [task, attempt] = line.split(" ");
    byTask.set(task!, [...(byTask.get(task!) ?? []), attempt!]);
  }
  for (const [task, attempts] of byTask) {
    if (new Set(attempts).size !== attempts.length) problems.push(`${task}: an attempt's command ran twice (${attempts.join(", ")})`);
    if (attempts.length > 1) {
      repeats += attempts.length - 1;
      if (!plan.idempotent.has(task)) problems.push(`${task} is not idempotent and ran ${attempts.length} times`);
      const interrupted = events.filter((e) => e.type === "TASK_INTERRUPTED" && e.data.task_id === task).length;
      if (attempts.length - 1 > interrupted) problems.push(`${task} ran ${attempts.length} times with ${interrupted} interruptions (${expired.get(task) ?? 0} by an expired lease)`);
    }
  }
  for (const task of plan.deps.keys()) if (!byTask.has(task)) problems.push(`${task}: its command never ran`);
  // Dependencies: a task started only after each of its dependencies completed.
  let dependencyViolations = 0;
  const firstStart = new Map<string, number>();
  const completedAt = new Map<string, number>();
  for (const event of events) {
    if (event.type === "TASK_STARTED" && !firstStart.has(event.data.task_id)) firstStart.set(event.data.task_id, event.seq);
    if (event.type === "TASK_COMPLETED") completedAt.set(event.data.task_id, event.seq);
  }
  for (const [task, on] of plan.deps) {
    for (const dep of on) {
      if (!((completedAt.get(dep) ?? Infinity) < (firstStart.get(task) ?? -Infinity))) {
        dependencyViolations++;
        problems.push(`${task} started (#${firstStart.get(task)}) before ${dep} completed (#${completedAt.get(dep)})`);
      }
    }
  }
  return { done, lost: plan.count - done, staleAccepted, takeovers, repeats, dependencyViolations, problems };
}
