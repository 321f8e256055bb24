// Synthetic but legal run logs for benchmarks: a plan of independent task pairs, each task taken
// through its whole lifecycle (10 events a task), after the gate and the bootstrap.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BOOTSTRAP_PHASES, RunIdSchema, type PehEvent, type PehEventInput, type RunId } from "../events/index.js";
import { GENESIS, sealAppend } from "../events/seal.js";

export const EVENTS_PER_TASK = 10;

export function syntheticLog(taskCount: number, runId: RunId = RunIdSchema.parse("r-bench")): PehEvent[] {
  const events: PehEventInput[] = [];
  const base = Date.UTC(2026, 0, 15, 14, 0, 0);
  const push = (type: PehEventInput["type"], entity: string, data: unknown) => {
    const seq = events.length + 1;
    events.push({
      id: `${runId}.${seq}`,
      run_id: runId,
      seq,
      at: new Date(base + seq).toISOString(),
      actor: "system",
      entity,
      type,
      data,
    } as PehEventInput);
  };
  const ids = Array.from({ length: taskCount }, (_, i) => `t${i}`);
  // Every odd task depends on the one before it: dependency delivery is part of the fold.
  const tasks = ids.map((id, i) => ({
    id,
    objective: `Step ${i}`,
    scope: "workspace",
    run: "true",
    acceptance_tests: ["true"],
    depends_on: i % 2 === 1 ? [ids[i - 1]] : [],
    idempotent: true,
  }));
  push("PLAN_CREATED", "plan", { plan: { objective: "Benchmark", version: 1, tasks }, workspace: "/w", planner: "file" });
  push("GATE_APPROVAL_REQUESTED", "plan", { version: 1, risky_tasks: [] });
  push("GATE_APPROVED", "plan", { version: 1, confirmations: [] });
  for (const phase of BOOTSTRAP_PHASES) {
    push("BOOTSTRAP_PHASE_STARTED", "bootstrap", { phase });
    push("BOOTSTRAP_PHASE_COMPLETED", "bootstrap", { phase, artifacts: {}, diagnostics: [] });
  }
  for (const task_id of ids) {
    const worker_id = `${task_id}#1`;
    const task = `task:${task_id}`;
    const worker = `worker:${worker_id}`;
    push("TASK_READY", task, { task_id });
    push("TASK_STARTED", task, { task_id, attempt: 1, worker_id });
    push("WORKER_SPAWNING", worker, { worker_id, task_id, attempt: 1, cwd: "/w" });
    push("WORKER_TRUST_REQUIRED", worker, { worker_id, task_id, cwd: "/w" });
    push("WORKER_TRUST_RESOLVED", worker, { worker_id, task_id, resolution: { source: "allowlist", root: "/w" } });
    push("WORKER_READY", worker, { worker_id, task_id });
    push("WORKER_RUNNING", worker, { worker_id, task_id, pid: 1000 });
    push("WORKER_FINISHED", worker, { worker_id, task_id, exit_code: 0 });
    push("TASK_VERIFYING", task, { task_id, attempt: 1 });
    push("TASK_COMPLETED", task, { task_id, attempt: 1, duration_ms: 5, evidence: [{ command: "true", exit_code: 0, duration_ms: 1 }] });
  }
  push("EXECUTION_COMPLETE", "plan", {
    outcome: "completed",
    counts: { succeeded: taskCount, failed: 0, skipped: 0, upstream_failed: 0 },
  });
  return events as PehEvent[];
}

/** Writes `log` as the run's events.jsonl in `runDir`, sealed as peh writes a log: in appends of 10 events (a task's lifecycle). */
export async function writeSealedLog(runDir: string, log: readonly PehEvent[]): Promise<void> {
  await mkdir(runDir, { recursive: true });
  const lines: string[] = [];
  let chain = GENESIS;
  for (let from = 0; from < log.length; from += EVENTS_PER_TASK) {
    const sealed = sealAppend(chain, log.slice(from, from + EVENTS_PER_TASK));
    lines.push(...sealed.lines);
    chain = sealed.chain;
  }
  await writeFile(join(runDir, "events.jsonl"), lines.join("\n") + "\n");
}
