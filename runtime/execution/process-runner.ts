// Runs one shell command in its own process group, with a timeout, its output redacted into a
// log file. The whole group is killed on timeout or when asked (abort, drain), so a command's
// children do not outlive it. Who starts the process is a `ProcessStarter`: Node itself
// (`spawnDirect`, the default) or a run's launcher (runtime/execution/launcher.ts), to the same effect.
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { whyNotADirectory } from "../directory.js";
import { AttemptLog, attemptLogLimit, echoOf } from "./attempt-log.js";
import { redactingStream, type Redactor } from "./redact.js";

export interface RunSpec {
  command: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, then closed (agent prompts). */
  stdin?: string;
  timeoutMs?: number;
  /** Appended to; created with its directory. */
  logFile: string;
  /** The attempt log's limit in bytes (0: none); default: $PEH_ATTEMPT_LOG_MAX of `env`, else 1 MiB. */
  logLimit?: number;
  redact: Redactor;
  signal?: AbortSignal;
  /** Called once the process exists, with its pid. */
  onSpawn?: (pid: number) => void;
  /** Starts the process; Node's own spawn unless a launcher is given. */
  start?: ProcessStarter;
}

export interface RunResult {
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  /** Stopped through `signal` (abort or drain). */
  aborted: boolean;
  duration_ms: number;
  /**
   * The last 4,000 characters the process printed, redacted, for classification and messages:
   * never peh's own lines (the log's `$ command` and `[exit …]`), and never cut by the log's limit.
   */
  tail: string;
  /** Set when the process could not start at all (ENOENT of the cwd, say). */
  spawn_error?: { code: string; message: string };
}

/** How a process ended, once it has exited and its stdout and stderr are closed. */
export type ProcessExit = Pick<RunResult, "exit_code" | "signal" | "spawn_error">;

/** What a starter needs: `/bin/sh -c command` in `cwd`, in a process group of its own, with `env`. */
export interface StartRequest {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin?: string;
  /** Output as it comes, stdout and stderr alike. */
  onOutput: (chunk: Buffer) => void;
  /** The process (and process group) id, once the process exists. */
  onPid: (pid: number) => void;
}

export type ProcessStarter = (request: StartRequest) => Promise<ProcessExit>;

/** The exit of a process that could not be started, or whose end cannot be known. */
export function spawnError(code: string, message: string): ProcessExit {
  return { exit_code: null, signal: null, spawn_error: { code, message } };
}

const spawnErrorOf = (error: NodeJS.ErrnoException): ProcessExit => spawnError(error.code ?? "SPAWN", error.message);

/** Node's own spawn: `/bin/sh -c` in a new session with three pipes. */
export const spawnDirect: ProcessStarter = (request) =>
  new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", request.command], {
      cwd: request.cwd,
      env: request.env,
      detached: true, // its own process group: killed as a whole
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdout.on("data", request.onOutput);
    child.stderr.on("data", request.onOutput);
    child.stdin.on("error", () => undefined);
    child.stdin.end(request.stdin ?? "");
    if (child.pid) request.onPid(child.pid);
    child.on("error", (error: NodeJS.ErrnoException) => resolve(spawnErrorOf(error)));
    child.on("close", (code, signal) => resolve({ exit_code: code, signal }));
  });

const TAIL = 4_000;

/**
 * A process that did not start because of its working directory says so: both starters report a
 * missing or non-directory cwd as `spawn /bin/sh ENOENT` (or ENOTDIR), as if the shell were missing.
 */
function whyNotStarted(exit: ProcessExit, cwd: string): ProcessExit {
  const code = exit.spawn_error!.code;
  if (code !== "ENOENT" && code !== "ENOTDIR") return exit;
  const why = whyNotADirectory(cwd);
  return why === undefined ? exit : spawnError(code, `the working directory ${cwd} ${why} (${code}): nothing ran`);
}

export async function runCommand(spec: RunSpec): Promise<RunResult> {
  // peh's `$ command` and `[exit …]` lines go to the log whatever its limit, never to the tail.
  const log = new AttemptLog(spec.logFile, spec.logLimit ?? attemptLogLimit(spec.env ?? process.env), spec.redact(echoOf(spec.command)));
  const started = performance.now();
  let tail = "";
  // Whole lines are redacted at once: a secret split between two chunks is found all the same.
  const redacting = redactingStream(spec.redact);
  const emit = (redacted: string) => {
    log.write(redacted);
    if (redacted !== "") tail = (tail + redacted).slice(-TAIL);
  };
  const write = (text: string) => emit(redacting.write(text));
  // A character split between two chunks is decoded whole, not as two replacement characters.
  const decoder = new StringDecoder("utf8");
  let pid: number | undefined;
  let killed = false;
  const killGroup = () => {
    killed = true;
    try {
      if (pid) process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  let timedOut = false;
  let aborted = false;
  const timer = spec.timeoutMs ? setTimeout(() => ((timedOut = true), killGroup()), spec.timeoutMs) : undefined;
  const onAbort = () => ((aborted = true), killGroup());
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  if (spec.signal?.aborted) onAbort();
  // A process that cannot be started at all (Node refuses an argument, say) ends the attempt with
  // a spawn error, as a missing cwd does, never the orchestrator.
  const exit: ProcessExit = await (spec.start ?? spawnDirect)({
    command: spec.command,
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    ...(spec.stdin === undefined ? {} : { stdin: spec.stdin }),
    onOutput: (chunk) => write(decoder.write(chunk)),
    onPid: (started) => {
      pid = started;
      spec.onSpawn?.(started);
      if (killed) killGroup(); // timed out or stopped before the process existed
    },
  })
    .catch(spawnErrorOf)
    .then((ended) => (ended.spawn_error ? whyNotStarted(ended, spec.cwd) : ended));
  if (timer) clearTimeout(timer);
  spec.signal?.removeEventListener("abort", onAbort);
  killGroup(); // leftovers of the group, if any
  write(decoder.end());
  emit(redacting.end());
  const why = exit.spawn_error ? spec.redact(`${exit.spawn_error.message}\n`) : "";
  const duration_ms = Math.round(performance.now() - started);
  await log.end(`${why}\n[exit ${exit.exit_code ?? exit.signal ?? exit.spawn_error?.code}${timedOut ? ", timed out" : ""}${aborted ? ", stopped" : ""} after ${duration_ms} ms]\n`);
  return { ...exit, timed_out: timedOut, aborted, duration_ms, tail };
}
