// The state of a run for read-only views (status, runs, graph): folded from the store's
// checkpoint when it has a usable one, else from the whole log, leaving a checkpoint behind when
// the fold was long. Never for deciding or appending: the gate and the orchestrator fold the log
// itself, so a checkpoint can only ever make a view faster, never change what happens.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EventStore, RunId } from "../events/index.js";
import type { RunState } from "../machines/fold/run.js";
import { RUN_JSON_FORMAT, runStateFromJson, runStateToJson } from "../machines/fold/run-json.js";
import { foldStored } from "./store/read-run.js";

/** Events folded beyond the last checkpoint before a view writes a new one. */
export const CHECKPOINT_AFTER = 5_000;

export interface ViewState {
  state: RunState;
  /** The seq the fold started from a checkpoint at (0: the whole log was folded). */
  from_checkpoint: number;
}

export async function viewStateOf(store: EventStore, runId: RunId, checkpointAfter = CHECKPOINT_AFTER): Promise<ViewState> {
  const checkpoint = await store.readCheckpoint?.(runId, foldTag());
  const restored = checkpoint ? runStateFromJson(checkpoint.state) : undefined;
  let state: RunState;
  let from = 0;
  if (checkpoint && restored) {
    state = foldStored(store, runId, checkpoint.events, restored);
    from = checkpoint.seq;
  } else {
    state = foldStored(store, runId, await store.read(runId));
  }
  if (state.seq - from >= checkpointAfter) await leaveCheckpoint(store, runId, state, 0);
  return { state, from_checkpoint: from };
}

/**
 * Leaves a checkpoint of `state`, the fold of the run's first `state.seq` events, for the views
 * of a long run. `peh run` leaves one when it stops, so the first status after it is fast too.
 * A cache: a store that cannot take it (none, read-only, a full disk) loses nothing.
 */
export async function leaveCheckpoint(store: EventStore, runId: RunId, state: RunState, checkpointAfter = CHECKPOINT_AFTER): Promise<void> {
  if (!store.saveCheckpoint || state.seq < checkpointAfter) return;
  await store.saveCheckpoint(runId, { seq: state.seq, tag: foldTag(), state: runStateToJson(state) }).catch(() => undefined);
}

let tag: string | undefined;

/**
 * The fold's fingerprint: the JSON form's format and a digest of the source of every module in
 * machines/ and its folders (the lifecycles, their memoized stepping and the routing) as loaded.
 * It changes with any change to them, so a checkpoint made by another version of peh is never
 * used, only rebuilt.
 */
export function foldTag(): string {
  if (tag !== undefined) return tag;
  const self = fileURLToPath(import.meta.url);
  const machines = fileURLToPath(new URL("../machines/", import.meta.url));
  const hash = createHash("sha256").update(`format ${RUN_JSON_FORMAT}\n`);
  // Recursive: a module in a folder of machines/ is part of the fold as much as one beside it.
  const names = readdirSync(machines, { recursive: true, encoding: "utf8" });
  for (const name of names.filter((file) => extname(file) === extname(self) && !file.endsWith(".d.ts")).sort()) {
    hash.update(`${name}\n`).update(readFileSync(join(machines, name)));
  }
  return (tag = `fold-${RUN_JSON_FORMAT}-${hash.digest("hex").slice(0, 16)}`);
}
