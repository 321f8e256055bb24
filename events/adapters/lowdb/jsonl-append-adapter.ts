// A lowdb adapter that keeps lowdb's whole-document API but writes only what is new: each event
// is one JSON line appended to the run's file and fsynced before write() resolves. lowdb's own
// JSONFile rewrites the whole file on every write (O(log) per append) and never fsyncs. Each line
// is sealed (seal.ts): an edited line is found with its seq, and a torn append is dropped whole.
// The small steps of an append (the look at the file's size, the write of its lines into the page
// cache) are synchronous calls of microseconds; only the fsync waits in the thread pool. Each
// asynchronous step was a round trip through the pool that the next effect waited for: a chain of
// 200 tasks took 3.63 s (median of 8) with them, 3.42 s without (and the attempt logs' appends).
import { statSync, writeSync } from "node:fs";
import { open, readFile, truncate, type FileHandle } from "node:fs/promises";
import type { Adapter } from "lowdb";
import { PehEventSchema, deepFreeze, type PehEvent } from "../../envelope.js";
import { PehError } from "../../errors.js";
import { GENESIS, sealAppend, unseal } from "../../seal.js";

export interface RunLog {
  events: PehEvent[];
}

/** Where a log's chain stands after its event `seq`: what the next line is checked against. */
export interface ChainPoint {
  seq: number;
  chain: string;
  /** Whether that event was sealed: once one is, every later one must be. */
  sealed: boolean;
}

export const LOG_START: ChainPoint = { seq: 0, chain: GENESIS, sealed: false };

export class JsonLinesAppendAdapter implements Adapter<RunLog> {
  /** Bytes of the file that hold whole, valid lines: everything past it is a torn tail. */
  private goodBytes = 0;
  /** How many of `data.events` are on disk. */
  private persisted = 0;
  /** The chain after the last whole event read or written. */
  private point: ChainPoint = LOG_START;
  /** The file's size and inode as `catchUp` saw them under the run's lock, for the write that follows. */
  private seenUnderLock: { size: number; ino: number } | undefined;
  /**
   * The file opened for appending, kept between appends (closed after a second without one):
   * opening and closing it cost two of an append's few file operations. Used only while the
   * path still names the same file.
   */
  private appending: { handle: FileHandle; ino: number; idle?: NodeJS.Timeout } | undefined;

  constructor(readonly path: string) {}

  async read(): Promise<RunLog | null> {
    const text = await readFile(this.path, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (text === null) return null;
    this.goodBytes = 0;
    this.persisted = 0;
    this.point = LOG_START;
    const log: RunLog = { events: [] };
    this.absorb(log, text);
    return log;
  }

  /**
   * Reads what other processes appended since this adapter last looked. Call it under the run's
   * lock, before checking the expected version.
   */
  async catchUp(log: RunLog, underLock = false): Promise<void> {
    const seen = await this.look();
    this.seenUnderLock = underLock ? seen : undefined;
    const size = seen.size;
    if (size <= this.goodBytes) return;
    const handle = await open(this.path, "r");
    try {
      const buffer = Buffer.alloc(size - this.goodBytes);
      await handle.read(buffer, 0, buffer.length, this.goodBytes);
      this.absorb(log, buffer.toString("utf8"));
    } finally {
      await handle.close();
    }
  }

  async write(log: RunLog): Promise<void> {
    const fresh = log.events.slice(this.persisted);
    if (fresh.length === 0) return;
    // A torn tail left by a crashed writer is cut before anything is glued onto it.
    const seen = this.seenUnderLock ?? (await this.look());
    this.seenUnderLock = undefined;
    if (seen.size > this.goodBytes) await truncate(this.path, this.goodBytes);
    // One write for the whole append: every line names the seq it ends at, so that a write torn
    // after some of its lines is dropped whole on read, never kept in part.
    const sealed = sealAppend(this.point.chain, fresh);
    const bytes = Buffer.from(sealed.lines.join("\n") + "\n", "utf8");
    const handle = await this.appendHandle(seen.ino);
    try {
      writeAll(handle.fd, bytes);
      await handle.sync();
    } catch (error) {
      await this.closeAppendHandle();
      await truncate(this.path, this.goodBytes).catch(() => undefined);
      throw error;
    }
    this.goodBytes += bytes.length;
    this.persisted = log.events.length;
    this.point = { seq: fresh.at(-1)!.seq, chain: sealed.chain, sealed: true };
    this.closeWhenIdle();
  }

  /** The file's size and inode now (size 0, inode -1: there is no file yet). */
  private async look(): Promise<{ size: number; ino: number }> {
    try {
      const stats = statSync(this.path);
      return { size: stats.size, ino: stats.ino };
    } catch {
      return { size: 0, ino: -1 };
    }
  }

  /** The chain after the last whole event read or written. */
  get chainPoint(): ChainPoint {
    return this.point;
  }

  /** Closes the file kept open for appending, if any. */
  async close(): Promise<void> {
    await this.closeAppendHandle();
  }

  private async appendHandle(ino: number): Promise<FileHandle> {
    if (this.appending && this.appending.ino === ino) {
      clearTimeout(this.appending.idle);
      return this.appending.handle;
    }
    await this.closeAppendHandle();
    const handle = await open(this.path, "a");
    // A file that did not exist when it was looked at has the inode it was just created with.
    this.appending = { handle, ino: ino === -1 ? (await handle.stat()).ino : ino };
    return handle;
  }

  private closeWhenIdle(): void {
    if (!this.appending) return;
    clearTimeout(this.appending.idle);
    this.appending.idle = setTimeout(() => void this.closeAppendHandle().catch(() => undefined), 1_000).unref();
  }

  private async closeAppendHandle(): Promise<void> {
    const appending = this.appending;
    this.appending = undefined;
    if (!appending) return;
    clearTimeout(appending.idle);
    await appending.handle.close();
  }

  /** Parses whole lines of `text` (which starts at `goodBytes`) into `log`; a torn tail stays out. */
  private absorb(log: RunLog, text: string): void {
    const parsed = parseLogLines(this.path, text, this.point);
    for (const event of parsed.events) log.events.push(event);
    this.goodBytes += parsed.bytes;
    this.persisted = log.events.length;
    this.point = parsed.point;
  }
}

/**
 * The events in `text`, a whole number of a log's lines after the event `from.seq`, how many
 * bytes of it they took, and the chain after them. Left out as torn (a crash mid-append): a torn
 * last line, and the lines of an append that does not reach the end it names. Anything else that
 * is wrong throws STORE_CORRUPT naming the file and seq: a line that is not an event, or whose
 * seal says it was edited (an edit that recomputed its own line's hash shows at the next line).
 */
export function parseLogLines(path: string, text: string, from: ChainPoint): { events: PehEvent[]; bytes: number; point: ChainPoint } {
  const events: PehEvent[] = [];
  let bytes = 0;
  let start = 0;
  let point = from;
  // The append being read: where it began (events, bytes, chain) and the seq it ends at.
  let append = { events: 0, bytes: 0, point, end: from.seq };
  for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
    const line = text.slice(start, end);
    const seq = point.seq + 1;
    const isLast = text.indexOf("\n", end + 1) === -1 && end + 1 === text.length;
    const json = parseJson(path, line, seq, isLast);
    if (json === undefined) break;
    const event = toEvent(path, json, seq);
    const seal = unseal(line, typeof json === "object" && json !== null ? json : {}, point.chain);
    if (seal.kind === "edited") throw corrupt(path, seq, `was edited: ${seal.why}`);
    if (seal.kind === "plain" && point.sealed) throw corrupt(path, seq, "has no hash, though the events before it have: it was edited or inserted");
    const ends = seal.kind === "sealed" ? seal.end : seq;
    if (append.end >= seq) {
      if (ends !== append.end) throw corrupt(path, seq, `says its append ends at seq ${ends}, but the append it is part of ends at seq ${append.end}`);
    } else {
      if (ends < seq) throw corrupt(path, seq, `says its append ends at seq ${ends}, before it`);
      append = { events: events.length, bytes, point, end: ends };
    }
    events.push(event);
    bytes += Buffer.byteLength(line, "utf8") + 1;
    start = end + 1;
    point = { seq, chain: seal.chain, sealed: seal.kind === "sealed" };
  }
  if (append.end > point.seq) {
    // The write of the last append was torn after some of its lines: none of them happened.
    events.length = append.events;
    return { events, bytes: append.bytes, point: append.point };
  }
  return { events, bytes, point };
}

/** One line as JSON; undefined for a torn last line; throws STORE_CORRUPT for anything else. */
function parseJson(path: string, line: string, seq: number, isLast: boolean): unknown {
  try {
    return JSON.parse(line);
  } catch {
    // Only the very last line can be torn by a crash mid-append; a bad line before it is damage.
    if (isLast) return undefined;
    throw corrupt(path, seq, "is not JSON");
  }
}

/** A line's JSON → the event it must be, at `seq`; throws STORE_CORRUPT if it is not. */
function toEvent(path: string, json: unknown, seq: number): PehEvent {
  const parsed = PehEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // An unknown type would list all thirty-odd event types in the message.
    const why = issue?.path[0] === "type" ? `it has no type peh knows: ${JSON.stringify((json as { type?: unknown } | null)?.type)}` : issue?.message;
    throw corrupt(path, seq, `is not a valid event (${why})`);
  }
  if (parsed.data.seq !== seq) throw corrupt(path, seq, `has seq ${parsed.data.seq}`);
  return deepFreeze(parsed.data);
}

function corrupt(path: string, seq: number, what: string): PehError {
  return new PehError(
    "STORE_CORRUPT",
    `${path}: the line for seq ${seq} ${what}`,
    "restore the file from a backup, or move the run aside; peh never rewrites a log",
  );
}

/** Writes all of `bytes` at the file's end (a regular file takes them whole; a short write goes on). */
function writeAll(fd: number, bytes: Buffer): void {
  for (let written = 0; written < bytes.length; ) {
    const wrote = writeSync(fd, bytes, written);
    if (wrote === 0) throw new Error(`wrote nothing of an append (${bytes.length - written} bytes left)`);
    written += wrote;
  }
}
