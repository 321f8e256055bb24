// What a crash test compares: how a run in a workspace ended (plan and task states, the side
// effects its tasks left in a file, its log), and the check that a crashed-and-resumed run ended
// as the uninterrupted one did; and whether a process a crash orphaned is gone.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { PehEventSchema, type PehEvent } from "../../events/index.js";
import { runView } from "../../projections/run-view.js";
import type { Workspace } from "./workspace.js";

export interface RunOutcome {
  state: string;
  tasks: Record<string, string>;
  /** The lines the tasks appended to the effects file, sorted. */
  effects: string[];
  log: PehEvent[];
}

/** The workspace's (only) run, rebuilt from its log, and the side effects in `effectsFile`. */
export async function runOutcome(ws: Workspace, effectsFile: string): Promise<RunOutcome> {
  const [runId] = await readdir(join(ws.path, ".peh", "runs"));
  const log = (await ws.read(`.peh/runs/${runId}/events.jsonl`)).trimEnd().split("\n").map((line) => PehEventSchema.parse(JSON.parse(line)));
  const view = runView(log);
  return {
    state: view.plan.state,
    tasks: Object.fromEntries(view.tasks.map((t) => [t.id, t.state])),
    effects: (await ws.read(effectsFile)).trim().split("\n").sort(),
    log,
  };
}

/** Same final states and each side effect exactly once as the uninterrupted run; a gapless log. */
export function expectSameEnd(after: RunOutcome, expected: RunOutcome, seq: number): void {
  expect({ state: after.state, tasks: after.tasks, effects: after.effects }, `crash after seq ${seq}`).toEqual({
    state: expected.state,
    tasks: expected.tasks,
    effects: expected.effects,
  });
  expect(after.log.map((e) => e.seq)).toEqual(after.log.map((_, i) => i + 1));
}

/** Whether a process is gone, or dead and not yet reaped by whoever inherited it (a zombie runs nothing). */
export async function processGone(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Waits (polling, up to 5 s) until `pid` is gone; says whether it went. */
export async function untilGone(pid: number): Promise<boolean> {
  for (let polled = 0; polled < 500; polled++) {
    if (await processGone(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}
