// Pure. A run's folded state as JSON and back, for checkpoints (EventStore.readCheckpoint): a
// view of a long run folds only the events after the checkpoint.
import type { StateValue } from "xstate";
import { z } from "zod";
import { LineageSchema, type Plan, type ReusedResult, type RunId, type TaskId, type WorkerId } from "../../events/index.js";
import type { Lite } from "../memo/lite.js";
import type { TaskContext } from "../task.js";
import type { WorkerContext } from "../worker.js";
import { initialRunState, type RunState } from "./run.js";

/** Bump when the JSON form below changes shape (runtime/view-state.ts puts it in the fold's tag). */
export const RUN_JSON_FORMAT = 4;

// A state value is a name or a map of them (nested states). Checked one level deep: a recursive
// schema costs 2.5x as much on the 20k cells of a big run, and the machine resolves the value.
const StateValueSchema = z.union([z.string(), z.record(z.string(), z.unknown())]);
const StatusSchema = z.enum(["active", "done", "error", "stopped"]);

const CellSchema = z.object({ value: StateValueSchema, context: z.unknown(), status: StatusSchema });

/**
 * An array whose every element passes `check`, in one tight loop: z.array spends ~1 µs an element,
 * 100 ms on the columns of a 100k-event run's checkpoint.
 */
const columnOf = <T>(check: (value: unknown) => value is T, what: string) =>
  z.custom<T[]>((value) => Array.isArray(value) && value.every(check), { message: `expected an array of ${what}` });

const isString = (value: unknown): value is string => typeof value === "string";
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isStatus = (value: unknown): value is Lite["status"] => StatusSchema.options.includes(value as Lite["status"]);

/**
 * A run's many task or worker cells, column by column: a 100k-event run has 20k of them, and
 * columns of plain values parse and validate in a fraction of the time of 20k small objects.
 */
const CellsSchema = z
  .object({
    ids: columnOf(isString, "ids"),
    values: columnOf((value): value is StateValue => isString(value) || isObject(value), "state values"),
    statuses: columnOf(isStatus, "statuses"),
    contexts: columnOf(isObject, "contexts"),
  })
  .refine((cells) => [cells.values, cells.statuses, cells.contexts].every((column) => column.length === cells.ids.length), "columns of unequal length");

const RunStateJsonSchema = z.object({
  run_id: z.string().nullable(),
  seq: z.number().int().nonnegative(),
  at: z.string().nullable(),
  workspace: z.string().nullable(),
  plan_spec: z.unknown(),
  // Where the run came from and what a rerun takes over (issue 22): views show both.
  lineage: LineageSchema.nullable(),
  reuse: z.object({ source_run: z.string(), results: z.array(z.tuple([z.string(), z.unknown()])), specs: z.array(z.tuple([z.string(), z.string()])) }).nullable(),
  plan: CellSchema,
  bootstrap: CellSchema,
  tasks: CellsSchema,
  workers: CellsSchema,
  dependents: columnOf((entry): entry is [string, string[]] => Array.isArray(entry) && entry.length === 2 && isString(entry[0]) && Array.isArray(entry[1]) && entry[1].every(isString), "[task, dependents] pairs"),
});
export type RunStateJson = z.infer<typeof RunStateJsonSchema>;

const cellJson = (cell: Lite<unknown>): z.infer<typeof CellSchema> => ({ value: cell.value, context: cell.context, status: cell.status });

function cellsJson(cells: ReadonlyMap<string, Lite<unknown>>): z.infer<typeof CellsSchema> {
  const columns: z.infer<typeof CellsSchema> = { ids: [], values: [], statuses: [], contexts: [] };
  for (const [id, cell] of cells) {
    columns.ids.push(id);
    columns.values.push(cell.value);
    columns.statuses.push(cell.status);
    columns.contexts.push(cell.context as Record<string, unknown>);
  }
  return columns;
}

export function runStateToJson(state: RunState): RunStateJson {
  return {
    run_id: state.run_id,
    seq: state.seq,
    at: state.at,
    workspace: state.workspace,
    plan_spec: state.plan_spec,
    lineage: state.lineage,
    reuse: state.reuse && { source_run: state.reuse.source_run, results: [...state.reuse.results], specs: [...state.reuse.specs] },
    plan: cellJson(state.plan),
    bootstrap: cellJson(state.bootstrap),
    tasks: cellsJson(state.tasks),
    workers: cellsJson(state.workers),
    dependents: [...state.dependents],
  };
}

/** The state back from its JSON form, or undefined if `json` is not one. */
export function runStateFromJson(json: unknown): RunState | undefined {
  const parsed = RunStateJsonSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const data = parsed.data;
  const state = initialRunState();
  const cell = <C>(value: unknown, context: unknown, status: Lite["status"]): Lite<C> => ({ value: value as StateValue, context: context as C, status, owner: state.token });
  const cells = <K extends string, C>(columns: z.infer<typeof CellsSchema>): Map<K, Lite<C>> => {
    const map = new Map<K, Lite<C>>();
    columns.ids.forEach((id, i) => map.set(id as K, cell<C>(columns.values[i], columns.contexts[i], columns.statuses[i]!)));
    return map;
  };
  state.run_id = data.run_id as RunId | null;
  state.seq = data.seq;
  state.at = data.at;
  state.workspace = data.workspace;
  state.plan_spec = (data.plan_spec ?? null) as Plan | null;
  state.lineage = data.lineage;
  state.reuse = data.reuse && {
    source_run: data.reuse.source_run as RunId,
    results: new Map(data.reuse.results.map(([id, result]) => [id as TaskId, result as ReusedResult])),
    specs: new Map(data.reuse.specs.map(([id, spec]) => [id as TaskId, spec])),
  };
  state.plan = cell(data.plan.value, data.plan.context, data.plan.status);
  state.bootstrap = cell(data.bootstrap.value, data.bootstrap.context, data.bootstrap.status);
  state.tasks = cells<TaskId, TaskContext>(data.tasks);
  state.workers = cells<WorkerId, WorkerContext>(data.workers);
  state.dependents = new Map(data.dependents.map(([id, list]) => [id as TaskId, list as TaskId[]]));
  return state;
}
