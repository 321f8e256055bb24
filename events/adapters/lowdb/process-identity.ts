// Who holds a lock or a lease. A pid alone does not name a process: pids are reused, and a lease
// left by a crashed `peh run` then looked held by whatever process got its pid. A holder is its
// pid, its host and, on Linux, its start time (field 22 of /proc/<pid>/stat, in clock ticks since
// boot, with the boot's id): a live pid that started at another time is another process.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";

export const HolderSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  /** `<boot id>:<start ticks>` where the system says (Linux), else absent: then the pid alone. */
  start: z.string().optional(),
  /** When the process started (ISO-8601), for messages. */
  started: z.string().optional(),
});
export type Holder = z.infer<typeof HolderSchema>;

/** A process's start as the kernel records it, or undefined where /proc does not say. */
export function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = fields[22 - 3];
    return ticks === undefined ? undefined : `${bootId()}:${ticks}`;
  } catch {
    return undefined;
  }
}

let boot: string | undefined;
function bootId(): string {
  boot ??= (() => {
    try {
      return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      return "";
    }
  })();
  return boot;
}

let self: Holder | undefined;

/** This process as a holder (read once). */
export function thisProcess(): Holder {
  if (self) return self;
  const start = startOf(process.pid);
  const started = new Date(Date.now() - process.uptime() * 1000).toISOString();
  return (self = { pid: process.pid, host: hostname(), ...(start ? { start } : {}), started });
}

/** What a lock or lease file holds: one JSON line. */
export function holderText(holder: Holder = thisProcess()): string {
  return `${JSON.stringify(holder)}\n`;
}

/**
 * The holder a lock or lease file names; a file written by an older peh holds only a pid (taken
 * to be of this host). Undefined for an empty or unreadable file (one caught being written).
 */
export function parseHolder(text: string): Holder | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), host: hostname() };
  try {
    const parsed = HolderSchema.safeParse(JSON.parse(trimmed));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the holder may still be running. A process of another host cannot be asked: it counts
 * as alive (its lease is never taken over from here). Here, its pid must be alive and, where the
 * start time is known on both sides, have started when the holder did.
 */
export function isHolderAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  if (!isProcessAlive(holder.pid)) return false;
  if (holder.start === undefined) return true;
  const now = startOf(holder.pid);
  return now === undefined || now === holder.start;
}

/** Whether two holders are the same process. */
export function sameHolder(a: Holder, b: Holder): boolean {
  return a.pid === b.pid && a.host === b.host && (a.start === undefined || b.start === undefined || a.start === b.start);
}

/** `pid 4242 on host build-7, started 2026-01-15 14:23:45 UTC`, for messages. */
export function describeHolder(holder: Holder): string {
  const started = holder.started ? `, started ${holder.started.replace("T", " ").replace(/\.\d+Z$/, " UTC")}` : "";
  return `pid ${holder.pid} on host ${holder.host}${started}`;
}
