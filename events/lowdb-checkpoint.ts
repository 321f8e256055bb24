// Checkpoints of the embedded store: `runs/<run id>/checkpoint.json` holds a fold's state at some
// seq with the length and SHA-256 of the log bytes it was folded from. A reader uses it only if the
// log still begins with exactly those bytes, and then parses and validates only the lines after
// them. Losing the file loses nothing: it is rebuilt from the log.
import { createHash } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { z } from "zod";
import { parseLogLines } from "./jsonl-append-adapter.js";
import type { Checkpoint, CheckpointRead } from "./store.js";

export const CHECKPOINT_FILE = "checkpoint.json";

const CheckpointFileSchema = z.object({
  format: z.literal(1),
  tag: z.string(),
  seq: z.number().int().nonnegative(),
  /** How many bytes of the log the first `seq` events take. */
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  state: z.unknown(),
});

/** Writes the checkpoint for the first `checkpoint.seq` events of the log at `logPath` (atomically). */
export async function writeCheckpoint(path: string, logPath: string, checkpoint: Checkpoint): Promise<void> {
  const log = await readFile(logPath);
  const bytes = endOfLine(log, checkpoint.seq);
  if (bytes === undefined) throw new Error(`${logPath} holds fewer than ${checkpoint.seq} events: no checkpoint at that seq`);
  const file: z.input<typeof CheckpointFileSchema> = { format: 1, ...checkpoint, bytes, sha256: sha256(log.subarray(0, bytes)) };
  // A reader sees the old file or the new one, never half of one; a crash leaves at worst a stray temp file.
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(file));
  await rename(temp, path);
}

/** The checkpoint at `path` made with `tag`, if the log at `logPath` still begins with its bytes. */
export async function readCheckpoint(path: string, logPath: string, tag: string): Promise<CheckpointRead | undefined> {
  const text = await readFile(path, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined; // damaged: the log is still there
  }
  const parsed = CheckpointFileSchema.safeParse(json);
  if (!parsed.success || parsed.data.tag !== tag) return undefined;
  const { seq, bytes, state } = parsed.data;
  const log = await readFile(logPath).catch(() => undefined);
  if (log === undefined || log.length < bytes || (bytes > 0 && log[bytes - 1] !== NEWLINE)) return undefined;
  if (sha256(log.subarray(0, bytes)) !== parsed.data.sha256) return undefined;
  // The lines after it are read as every read does: validated, a torn last line left out.
  const { events } = parseLogLines(logPath, log.subarray(bytes).toString("utf8"), seq + 1);
  return { seq, tag, state, events };
}

const NEWLINE = 0x0a;

/** The byte offset just past the `count`-th line of `log`, or undefined if it has fewer. */
function endOfLine(log: Buffer, count: number): number | undefined {
  let offset = 0;
  for (let line = 0; line < count; line++) {
    const end = log.indexOf(NEWLINE, offset);
    if (end === -1) return undefined;
    offset = end + 1;
  }
  return offset;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
