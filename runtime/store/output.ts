// Attempts' output, read the same way from either store: on the embedded store, the attempt's
// log file; on a shared store (PostgreSQL), the server's copy, which the host running the
// attempt sends as it goes (runtime/execution/process/output-mirror.ts), or this host's own log
// when it ran the attempt and is ahead of its last copy. Both are the same bytes (the log as the
// runner wrote it, redacted), so the longer one is the newer. Views (`peh output`, `peh log
// --follow`, `peh ui`, `peh export --html`) read output here and nowhere else.
import { open } from "node:fs/promises";
import type { EventStore, RunId } from "../../events/index.js";
import { attemptLogPath } from "../execution/attempt/attempt-log.js";
import { placeOf } from "./place.js";

export interface OutputRead {
  /** The attempt's log from the byte asked for (empty when nothing came since). */
  bytes: Buffer;
  /** Where it was read: the log file, or the store that holds it. */
  from: string;
}

export interface OutputSource {
  /** Where `workerId`'s log would be read from, for messages. */
  where(runId: RunId, workerId: string): string;
  /** The attempt's log from byte `from` (default 0); undefined when no host has kept any of it. */
  read(runId: RunId, workerId: string, from?: number): Promise<OutputRead | undefined>;
}

const sources = new WeakMap<EventStore, OutputSource>();

/** The output of `store`'s attempts. Throws USAGE for an in-memory store, as placeOf does. */
export function outputOf(store: EventStore): OutputSource {
  const known = sources.get(store);
  if (known) return known;
  const place = placeOf(store);
  const file = (runId: RunId, workerId: string) => attemptLogPath(place.runDir(runId), workerId);
  const shared = place.output;
  const source: OutputSource = shared
    ? {
        where: (runId, workerId) => `${place.where} (output of ${workerId})`,
        async read(runId, workerId, from = 0) {
          const path = file(runId, workerId);
          const [local, stored] = await Promise.all([readFrom(path, from), shared.readFrom(runId, workerId, from)]);
          if (local && local.length >= stored.length) return { bytes: local, from: path };
          // Past the start, nothing new is an empty answer; at the start, it is no output at all.
          if (stored.length > 0 || from > 0) return { bytes: stored, from: `${place.where} (output of ${workerId})` };
          return undefined;
        },
      }
    : {
        where: file,
        async read(runId, workerId, from = 0) {
          const bytes = await readFrom(file(runId, workerId), from);
          return bytes ? { bytes, from: file(runId, workerId) } : undefined;
        },
      };
  sources.set(store, source);
  return source;
}

/** `path` from byte `from` on; undefined when there is no such file. */
async function readFrom(path: string, from: number): Promise<Buffer | undefined> {
  const handle = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (!handle) return undefined;
  try {
    const size = (await handle.stat()).size;
    if (size <= from) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
