// An attempt's log file, `.peh/runs/<run>/attempts/<task>#<attempt>.log`: each command of the
// attempt as `$ command`, what it printed (redacted, control characters kept as they came: views
// escape them), and peh's `[exit …]` line. Appended in batches, and capped: past its limit a log
// keeps the head and the tail of the output and says how many bytes it left out between them.
import { appendFileSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PehError } from "../../../events/index.js";

/** The environment variable that sets an attempt log's limit: bytes, or with K, M, G (KiB, MiB, GiB); 0 for none. */
export const ATTEMPT_LOG_LIMIT_ENV = "PEH_ATTEMPT_LOG_MAX";
export const DEFAULT_ATTEMPT_LOG_LIMIT = 1 << 20;
const SMALLEST_LIMIT = 1 << 12;

const UNITS: Record<string, number> = { "": 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 };

/** The limit `env` sets (the default when it sets none). Throws USAGE for a value that is not a size. */
export function attemptLogLimit(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[ATTEMPT_LOG_LIMIT_ENV]?.trim();
  if (raw === undefined || raw === "") return DEFAULT_ATTEMPT_LOG_LIMIT;
  const parsed = /^(\d+)\s*(?:([KMG])(?:i?B)?|B)?$/i.exec(raw);
  const bytes = parsed ? Number(parsed[1]) * UNITS[(parsed[2] ?? "").toUpperCase()]! : Number.NaN;
  if (!Number.isSafeInteger(bytes) || (bytes !== 0 && bytes < SMALLEST_LIMIT)) {
    throw new PehError(
      "USAGE",
      `${ATTEMPT_LOG_LIMIT_ENV} must be a size of at least 4K (4096, 512K, 1M, 2MiB), or 0 for no limit, not "${raw}"`,
      `e.g. ${ATTEMPT_LOG_LIMIT_ENV}=4M peh run`,
    );
  }
  return bytes;
}

/** Where an attempt's output goes. */
export function attemptLogPath(runDir: string, workerId: string): string {
  return join(runDir, "attempts", `${workerId}.log`);
}

/** The line a command's output follows in the log (redact it before writing). */
export function echoOf(command: string): string {
  return `$ ${command}\n`;
}

/** peh's line after the echo: the shell that ran the command (in the log only). */
export function shellLineOf(label: string): string {
  return `shell: ${label}\n`;
}

const kib = (bytes: number) => (bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`);
/** The line that says what a capped log left out (views and re-reading know it by this). */
export const LEFT_OUT = /\n\[peh: \d+ bytes of output left out here[^\n]*\]\n/g;

/** Output is appended to the log at most this long after it came. */
const FLUSH_MS = 100;
/** How far back (or on) a cut looks for a line break, so that the log's pieces are whole lines. */
const LINE_SEARCH = 4096;

/** A cut at or before `room` of `bytes`: after a line break when one is near, else between characters. */
function headCut(bytes: Buffer, room: number): number {
  if (room === 0) return 0;
  const line = bytes.lastIndexOf(10, room - 1);
  if (line >= 0 && line >= room - LINE_SEARCH) return line + 1;
  let cut = room;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

/** A start at or after `from` of `bytes`: after a line break when one is near, else at a character. */
function tailStart(bytes: Buffer, from: number): number {
  const line = bytes.indexOf(10, from);
  if (line >= 0 && line < from + LINE_SEARCH) return line + 1;
  let start = from;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return start;
}

/**
 * The log of one command of an attempt, appended in batches: what comes within FLUSH_MS goes in
 * one append, so a short command's log (its `$ command` line, output and `[exit …]` line) is
 * written once, not once per line of output. Its directory is made when it is missing. The
 * attempt's first half of `limit` is written as it comes; a command that prints past it keeps,
 * in memory, the last half of `limit` of what it printed, and writes it when it ends, after a
 * line that says how much it left out. peh's own lines are written whatever the limit.
 */
export class AttemptLog {
  /** peh's line not yet written (the echo, then the footer), and the output after it. */
  private header: string;
  private pending = "";
  private timer: NodeJS.Timeout | undefined;
  private written: Promise<void> = Promise.resolve();
  private failure: unknown;
  /** Bytes this command may still write as they come, then the rest goes to `over`; unknown until it prints. */
  private room: number | undefined;
  private over: Buffer[] = [];
  private overBytes = 0;
  private overHeld = 0;

  /** `echo`, peh's `$ command` line, comes first. */
  constructor(
    private readonly path: string,
    private readonly limit: number = DEFAULT_ATTEMPT_LOG_LIMIT,
    echo = "",
  ) {
    this.header = echo;
    if (echo !== "") this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
  }

  write(text: string): void {
    if (text === "") return;
    this.pending += text;
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is pending, the kept tail, then `footer` (peh's `[exit …]` line); rejects with the first append that failed. */
  async end(footer = ""): Promise<void> {
    await this.flush(footer);
    if (this.failure !== undefined) throw this.failure;
  }

  private flush(footer?: string): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const header = this.header;
    const text = this.pending;
    this.header = "";
    this.pending = "";
    if (header !== "" || text !== "" || footer !== undefined) {
      this.written = this.written
        .then(() => (text !== "" && this.room === undefined ? this.measure() : undefined))
        .then(() => {
          const pieces = [header, ...this.direct(text), ...(footer === undefined ? [] : [...this.tail(), footer])].filter((piece) => piece.length > 0);
          if (pieces.length === 0) return undefined;
          const all = pieces.every((piece) => typeof piece === "string") ? pieces.join("") : Buffer.concat(pieces.map((piece) => (typeof piece === "string" ? Buffer.from(piece) : piece)));
          return appendMaking(this.path, all);
        })
        .catch((error: unknown) => void (this.failure ??= error));
    }
    return this.written;
  }

  /**
   * The room left in the attempt's head: its earlier commands count, the head is the attempt's.
   * Looked at only once the command prints something (most print nothing: no look at all).
   */
  private async measure(): Promise<void> {
    const head = Math.floor(this.limit / 2);
    if (this.limit === 0) this.room = Number.POSITIVE_INFINITY;
    else this.room = await stat(this.path).then((found) => Math.max(0, head - found.size), () => head);
  }

  /** What of `text` goes to the log now (within the head); the rest is kept for the tail. */
  private direct(text: string): (string | Buffer)[] {
    if (text === "") return [];
    if (this.overBytes === 0) {
      if (this.room === undefined || this.room === Number.POSITIVE_INFINITY) return [text];
      const size = Buffer.byteLength(text);
      if (size <= this.room) {
        this.room -= size;
        return [text];
      }
      const bytes = Buffer.from(text);
      const cut = headCut(bytes, this.room);
      this.room = 0;
      this.keep(bytes.subarray(cut));
      return [bytes.subarray(0, cut)];
    }
    this.keep(Buffer.from(text));
    return [];
  }

  /** Keeps the last half of the limit of what went past the head, dropping whole older chunks. */
  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.over.push(bytes);
    this.overBytes += bytes.length;
    this.overHeld += bytes.length;
    const tail = this.limit - Math.floor(this.limit / 2);
    while (this.over.length > 1 && this.overHeld - this.over[0]!.length >= tail) this.overHeld -= this.over.shift()!.length;
  }

  /** The kept tail, whole when nothing had to be left out, else after the line that counts what was. */
  private tail(): (string | Buffer)[] {
    if (this.overBytes === 0) return [];
    const tail = this.limit - Math.floor(this.limit / 2);
    const held = Buffer.concat(this.over);
    this.over = [];
    if (this.overBytes <= tail) return [held];
    const kept = held.subarray(tailStart(held, held.length - tail));
    const dropped = this.overBytes - kept.length;
    return [`\n[peh: ${dropped} bytes of output left out here; an attempt's log keeps its first ${kib(Math.floor(this.limit / 2))} and the last ${kib(tail)} of each command (${ATTEMPT_LOG_LIMIT_ENV})]\n`, kept];
  }
}

/**
 * Appends to the log, making its directory if need be. Synchronous: a few microseconds into the
 * page cache (a piece is at most what arrived between two flushes), where `appendFile` took three
 * round trips through the thread pool (open, write, close) that the attempt's result waited for.
 */
async function appendMaking(path: string, text: string | Buffer): Promise<void> {
  try {
    appendFileSync(path, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await mkdir(dirname(path), { recursive: true });
    appendFileSync(path, text);
  }
}
