// A run's folded state as JSON and back, for checkpoints (EventStore.readCheckpoint): a view of
// a long run folds only the events after the checkpoint. `FOLD_TAG` names the fold that made a
// state: it changes with any change to the machines' code, so a checkpoint made by another
// version of peh is never used, only rebuilt.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { StateValue } from "xstate";
import { z } from "zod";
import type { Plan, RunId, TaskId, WorkerId } from "../events/index.js";
import type { Lite } from "./lite.js";
import { initialRunState, type RunState } from "./run.js";

/** Bump when the JSON form below changes shape. */
const FORMAT = 1;

// A state value is a name or a map of them (nested states). Checked one level deep: a recursive
// schema costs 2.5x as much on the 20k cells of a big run, and the machine resolves the value.
const CellSchema = z.object({
  value: z.union([z.string(), z.record(z.string(), z.unknown())]),
  context: z.unknown(),
  status: z.enum(["active", "done", "error", "stopped"]),
});

const RunStateJsonSchema = z.object({
  run_id: z.string().nullable(),
  seq: z.number().int().nonnegative(),
  at: z.string().nullable(),
  workspace: z.string().nullable(),
  plan_spec: z.unknown(),
  plan: CellSchema,
  bootstrap: CellSchema,
  tasks: z.array(z.tuple([z.string(), CellSchema])),
  workers: z.array(z.tuple([z.string(), CellSchema])),
  dependents: z.array(z.tuple([z.string(), z.array(z.string())])),
});
export type RunStateJson = z.infer<typeof RunStateJsonSchema>;

const cellJson = (cell: Lite<unknown>): z.infer<typeof CellSchema> => ({ value: cell.value, context: cell.context, status: cell.status });

export function runStateToJson(state: RunState): RunStateJson {
  return {
    run_id: state.run_id,
    seq: state.seq,
    at: state.at,
    workspace: state.workspace,
    plan_spec: state.plan_spec,
    plan: cellJson(state.plan),
    bootstrap: cellJson(state.bootstrap),
    tasks: [...state.tasks].map(([id, cell]) => [id, cellJson(cell)]),
    workers: [...state.workers].map(([id, cell]) => [id, cellJson(cell)]),
    dependents: [...state.dependents],
  };
}

/** The state back from its JSON form, or undefined if `json` is not one. */
export function runStateFromJson(json: unknown): RunState | undefined {
  const parsed = RunStateJsonSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const data = parsed.data;
  const state = initialRunState();
  const cell = <C>(from: z.infer<typeof CellSchema>): Lite<C> => ({ value: from.value as StateValue, context: from.context as C, status: from.status, owner: state.token });
  state.run_id = data.run_id as RunId | null;
  state.seq = data.seq;
  state.at = data.at;
  state.workspace = data.workspace;
  state.plan_spec = (data.plan_spec ?? null) as Plan | null;
  state.plan = cell(data.plan);
  state.bootstrap = cell(data.bootstrap);
  state.tasks = new Map(data.tasks.map(([id, from]) => [id as TaskId, cell(from)]));
  state.workers = new Map(data.workers.map(([id, from]) => [id as WorkerId, cell(from)]));
  state.dependents = new Map(data.dependents.map(([id, list]) => [id as TaskId, list as TaskId[]]));
  return state;
}

let tag: string | undefined;

/**
 * The fold's fingerprint: the JSON format and a digest of the source of every module in
 * machines/ (the lifecycles, their memoized stepping and the routing), as loaded.
 */
export function foldTag(): string {
  if (tag !== undefined) return tag;
  const self = fileURLToPath(import.meta.url);
  const dir = dirname(self);
  const hash = createHash("sha256").update(`format ${FORMAT}\n`);
  for (const name of readdirSync(dir).filter((file) => extname(file) === extname(self) && !file.endsWith(".d.ts")).sort()) {
    hash.update(`${name}\n`).update(readFileSync(`${dir}/${name}`));
  }
  return (tag = `fold-${FORMAT}-${hash.digest("hex").slice(0, 16)}`);
}
