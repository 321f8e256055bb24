// Checkpoints of the embedded store: `runs/<run id>/checkpoint.json` holds a fold's state at some
// seq with the length and SHA-256 of the log bytes it was folded from. A reader uses it only if the
// log still begins with exactly those bytes, and then parses and validates only the lines after
// them, continuing the log's chain of seals from where the checkpoint stands (seal.ts). Losing the
// file loses nothing: it is rebuilt from the log.
import { createHash } from "node:crypto";
import { open, readFile, rename, writeFile, type FileHandle } from "node:fs/promises";
import { z } from "zod";
import { parseLogLines, type ChainPoint } from "./jsonl-append-adapter.js";
import { GENESIS, chainAfter, looksSealed } from "../../seal.js";
import type { Checkpoint, CheckpointRead } from "../../store.js";

export const CHECKPOINT_FILE = "checkpoint.json";

const CheckpointFileSchema = z.object({
  format: z.literal(2),
  tag: z.string(),
  seq: z.number().int().nonnegative(),
  /** How many bytes of the log the first `seq` events take. */
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  /** The log's chain after event `seq` (and whether that event was sealed), for the lines after it. */
  chain: z.string(),
  sealed: z.boolean(),
  state: z.unknown(),
});

/** Writes the checkpoint for the first `checkpoint.seq` events of the log at `logPath` (atomically). */
export async function writeCheckpoint(path: string, logPath: string, checkpoint: Checkpoint): Promise<void> {
  const prefix = await hashLines(logPath, checkpoint.seq);
  if (prefix === undefined) throw new Error(`${logPath} holds fewer than ${checkpoint.seq} events: no checkpoint at that seq`);
  const file: z.input<typeof CheckpointFileSchema> = { format: 2, ...checkpoint, bytes: prefix.bytes, sha256: prefix.sha256, chain: prefix.point.chain, sealed: prefix.point.sealed };
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
  const { seq, bytes, state, chain, sealed } = parsed.data;
  const log = await open(logPath, "r").catch(() => undefined);
  if (log === undefined) return undefined;
  try {
    const size = (await log.stat()).size;
    if (size < bytes || (await hashBytes(log, bytes)) !== parsed.data.sha256) return undefined;
    // The lines after it are read as every read does: validated, a torn last line left out.
    const tail = Buffer.alloc(size - bytes);
    await log.read(tail, 0, tail.length, bytes);
    const { events } = parseLogLines(logPath, tail.toString("utf8"), { seq, chain, sealed });
    return { seq, tag, state, events };
  } finally {
    await log.close();
  }
}

const NEWLINE = 0x0a;
/** Logs are read in chunks this big: a 100k-event log is never held whole to be hashed. */
const CHUNK = 1 << 20;

/**
 * The length and SHA-256 of the first `count` lines of the file and the chain after them, or
 * undefined if it has fewer. Throws if line `count` does not end its append: a checkpoint stands
 * only between appends, where a reader of the lines after it starts.
 */
async function hashLines(file: string, count: number): Promise<{ bytes: number; sha256: string; point: ChainPoint } | undefined> {
  const handle = await open(file, "r");
  try {
    const hash = createHash("sha256");
    const chunk = Buffer.alloc(CHUNK);
    let offset = 0;
    let lines = 0;
    // A sealed line carries the chain after it, and once one line is sealed every later one is:
    // only plain lines (a log from before seals) are decoded and hashed, and the last line read.
    let chain = GENESIS;
    let last: { chain: string; end: number | undefined } = { chain, end: undefined };
    let carry: Buffer[] = [];
    while (lines < count) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, offset);
      if (bytesRead === 0) return undefined;
      let end = 0;
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE, 0); at !== -1 && at < bytesRead && lines < count; at = chunk.indexOf(NEWLINE, at + 1)) {
        lines++;
        const whole = carry.length > 0 ? Buffer.concat([...carry, chunk.subarray(start, at)]) : undefined;
        carry = [];
        const [bytes, from, to] = whole ? [whole, 0, whole.length] : [chunk, start, at];
        if (lines === count || !looksSealed(bytes, from, to)) {
          last = chainAfter(chain, bytes.toString("utf8", from, to));
          chain = last.chain;
        }
        start = end = at + 1;
      }
      const used = lines < count ? bytesRead : end;
      if (lines < count) carry.push(Buffer.from(chunk.subarray(start, bytesRead)));
      hash.update(chunk.subarray(0, used));
      offset += used;
    }
    if (last.end !== undefined && last.end !== count) throw new Error(`${file}: seq ${count} is inside an append that ends at seq ${last.end}: no checkpoint there`);
    return { bytes: offset, sha256: hash.digest("hex"), point: { seq: count, chain, sealed: last.end !== undefined } };
  } finally {
    await handle.close();
  }
}

/** The SHA-256 of the first `bytes` bytes of an open file, read in chunks. */
async function hashBytes(handle: FileHandle, bytes: number): Promise<string> {
  const hash = createHash("sha256");
  const chunk = Buffer.alloc(Math.min(CHUNK, Math.max(bytes, 1)));
  for (let offset = 0; offset < bytes; ) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, bytes - offset), offset);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    offset += bytesRead;
  }
  return hash.digest("hex");
}
