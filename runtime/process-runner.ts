// Runs one shell command in its own process group, with a timeout, its output redacted into a
// log file. The whole group is killed on timeout or when asked (abort, drain), so a command's
// children do not outlive it.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Redactor } from "./redact.js";

export interface RunSpec {
  command: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, then closed (agent prompts). */
  stdin?: string;
  timeoutMs?: number;
  /** Appended to; created with its directory. */
  logFile: string;
  redact: Redactor;
  signal?: AbortSignal;
  /** Called once the process exists, with its pid. */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  /** Stopped through `signal` (abort or drain). */
  aborted: boolean;
  duration_ms: number;
  /** The last lines of output, redacted, for classification and messages. */
  tail: string;
  /** Set when the process could not start at all (ENOENT of the cwd, say). */
  spawn_error?: { code: string; message: string };
}

const TAIL = 4_000;

export async function runCommand(spec: RunSpec): Promise<RunResult> {
  await mkdir(dirname(spec.logFile), { recursive: true });
  const log = createWriteStream(spec.logFile, { flags: "a" });
  const started = performance.now();
  let tail = "";
  const write = (chunk: Buffer | string) => {
    const text = spec.redact(chunk.toString());
    log.write(text);
    tail = (tail + text).slice(-TAIL);
  };
  write(`$ ${spec.command}\n`);
  return new Promise<RunResult>((resolve) => {
    let timedOut = false;
    let aborted = false;
    const child = spawn("/bin/sh", ["-c", spec.command], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true, // its own process group: killed as a whole
      stdio: ["pipe", "pipe", "pipe"],
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = spec.timeoutMs ? setTimeout(() => ((timedOut = true), killGroup()), spec.timeoutMs) : undefined;
    const onAbort = () => ((aborted = true), killGroup());
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    if (spec.signal?.aborted) onAbort();
    child.stdout.on("data", write);
    child.stderr.on("data", write);
    child.stdin.on("error", () => undefined);
    child.stdin.end(spec.stdin ?? "");
    if (child.pid) spec.onSpawn?.(child.pid);
    const finish = (result: Omit<RunResult, "duration_ms" | "tail" | "timed_out" | "aborted">) => {
      if (timer) clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
      killGroup(); // leftovers of the group, if any
      const duration_ms = Math.round(performance.now() - started);
      write(`\n[exit ${result.exit_code ?? result.signal}${timedOut ? ", timed out" : ""}${aborted ? ", stopped" : ""} after ${duration_ms} ms]\n`);
      log.end(() => resolve({ ...result, timed_out: timedOut, aborted, duration_ms, tail }));
    };
    child.on("error", (error: NodeJS.ErrnoException) => {
      write(`${error.message}\n`);
      finish({ exit_code: null, signal: null, spawn_error: { code: error.code ?? "SPAWN", message: error.message } });
    });
    child.on("close", (code, signal) => finish({ exit_code: code, signal }));
  });
}
