// Invariants of any run's log, checked by the property tests against every log they produce.
import { expect } from "vitest";
import type { PehEvent, TaskId } from "../../events/index.js";
import { evolve, initialRunState, whyIllegal, type RunState } from "../../machines/fold/run.js";
import { viewOf } from "../../projections/run-view.js";

/** Replays the log from nothing, asking the machines about every event; returns the state. */
export function replayChecked(log: readonly PehEvent[]): RunState {
  const state = initialRunState();
  for (const event of log) {
    const snapshotBefore = primarySnapshotStatus(state, event);
    expect(snapshotBefore, `${event.type} (seq ${event.seq}) moved a machine in a final state`).not.toBe("done");
    expect(whyIllegal(state, event), `illegal ${event.type} at seq ${event.seq}`).toBeUndefined();
    evolve(state, event);
  }
  return state;
}

function primarySnapshotStatus(state: RunState, event: PehEvent): string | undefined {
  const entity = event.entity;
  if (entity === "plan") return state.plan.status;
  if (entity === "bootstrap") return state.bootstrap.status;
  if (entity.startsWith("task:")) return state.tasks.get(entity.slice(5) as TaskId)?.status;
  return state.workers.get(entity.slice(7) as never)?.status;
}

export function expectLogInvariants(log: readonly PehEvent[], live: RunState): void {
  // seq is gapless from 1, ids unique.
  expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
  expect(new Set(log.map((e) => e.id)).size).toBe(log.length);
  // Replaying the log equals the live state.
  expect(viewOf(replayChecked(log))).toEqual(viewOf(live));

  const trusted = new Set<string>();
  const settled = new Set<string>();
  let version = 0;
  let approved: number | null = null;
  let deps = new Map<string, readonly string[]>();
  for (const event of log) {
    switch (event.type) {
      case "PLAN_CREATED":
      case "GATE_MODIFIED":
      case "PLAN_CHANGED":
        // A confirmed change mid-run carries the approval of the version it changes.
        if (event.type === "PLAN_CHANGED") {
          expect(approved, `PLAN_CHANGED at seq ${event.seq} of an unapproved version`).toBe(version);
          approved = event.data.plan.version;
        }
        version = event.data.plan.version;
        deps = new Map(event.data.plan.tasks.map((t) => [t.id, t.depends_on]));
        if (event.type === "GATE_MODIFIED") approved = null;
        break;
      case "GATE_APPROVED":
        approved = event.data.version;
        break;
      case "WORKER_TRUST_RESOLVED":
        trusted.add(event.data.worker_id);
        break;
      case "WORKER_READY":
        // A worker never reaches ready_for_prompt without trust_resolved.
        expect(trusted.has(event.data.worker_id), `${event.data.worker_id} ready without trust`).toBe(true);
        break;
      case "TASK_COMPLETED":
        settled.add(event.data.task_id);
        break;
      case "DECISION_RECORDED":
        if (event.data.decision === "skip") settled.add(event.data.task_id);
        break;
      case "TASK_STARTED":
        // A task never starts before all its dependencies succeeded (or were skipped by a human).
        for (const dep of deps.get(event.data.task_id) ?? []) {
          expect(settled.has(dep), `${event.data.task_id} started before ${dep} settled`).toBe(true);
        }
        break;
      default:
        break;
    }
    if (event.type === "TASK_STARTED" || event.type === "WORKER_SPAWNING" || event.type === "BOOTSTRAP_PHASE_STARTED") {
      // Nothing executes before the plan's current version is approved.
      expect(approved, `${event.type} at seq ${event.seq} without approval of version ${version}`).toBe(version);
    }
  }
}
