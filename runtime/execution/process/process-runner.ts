// Runs one command with its task's shell in its own process group, with a timeout, its output
// redacted into a log file. The whole group is killed on timeout or when asked (abort, drain), so
// a command's children do not outlive it. Who starts the process is a `ProcessStarter`: Node
// itself (`spawnDirect`, the default) or a run's launcher (runtime/execution/process/launcher.ts), to the
// same effect.
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { whyNotADirectory } from "../../store/directory.js";
import { AttemptLog, attemptLogLimit, echoOf, shellLineOf } from "../attempt/attempt-log.js";
import { timer } from "../delay.js";
import { redactingStream, type Redactor } from "./redact.js";
import { shellArgv, shellCommand, type ShellCommand } from "./shell.js";
import { exitThroughSandbox, type ArgvWrapper } from "../../workspace/run-sandbox.js";

export interface RunSpec {
  command: string;
  /** What runs it: `sh` (`/bin/sh -e`) unless given. */
  shell?: ShellCommand;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Added to `env` (a task's own variables). */
  extraEnv?: Readonly<Record<string, string>>;
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
  /** Where the process's group is recorded before it runs anything (a crash must not orphan it). */
  journal?: StartRequest["journal"];
  /** Starts the process; Node's own spawn unless a launcher is given. */
  start?: ProcessStarter;
  /** Turns the argv into the one that starts: the attempt's sandbox (runtime/workspace/run-sandbox.ts). */
  wrap?: ArgvWrapper;
  /**
   * Each whole line of output (without its newline), before redaction: returns what the log and
   * the tail get instead (an agent's JSON as readable lines); `stop` ends the process group.
   */
  lines?: (line: string, stop: () => void) => string;
  /** The process group is killed once no output has come for this long. */
  idleTimeoutMs?: number;
}

export interface RunResult {
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  /** Stopped through `signal` (abort or drain). */
  aborted: boolean;
  /** Killed for printing nothing for `idleTimeoutMs`. */
  idled?: boolean;
  /** Stopped by its `lines` (a budget spent). */
  stopped?: boolean;
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

/** What a starter needs: `argv` in `cwd`, in a process group of its own, with `env` and `extraEnv`. */
export interface StartRequest {
  /** The program (a path, or a name looked up in PATH) and its arguments. */
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Set on top of `env` for this process only. */
  extraEnv?: Readonly<Record<string, string>>;
  /**
   * `<entry> <pid>` is appended to `file` once the process exists: by the launcher's child before
   * it execs (so before the process can do anything), by Node right after its spawn returns.
   */
  journal?: { file: string; entry: string };
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

/** Node's own spawn: the argv in a new session with three pipes. */
export const spawnDirect: ProcessStarter = (request) =>
  new Promise((resolve) => {
    const [program, ...args] = request.argv;
    const child = spawn(program!, args, {
      cwd: request.cwd,
      env: request.extraEnv ? { ...request.env, ...request.extraEnv } : request.env,
      detached: true, // its own process group: killed as a whole
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stdout.on("data", request.onOutput);
    child.stderr.on("data", request.onOutput);
    child.stdin.on("error", () => undefined);
    child.stdin.end(request.stdin ?? "");
    if (child.pid && request.journal) journalStart(request.journal, child.pid);
    if (child.pid) request.onPid(child.pid);
    child.on("error", (error: NodeJS.ErrnoException) => resolve(spawnErrorOf(error)));
    child.on("close", (code, signal) => resolve({ exit_code: code, signal }));
  });

/**
 * Synchronously: the process already runs, so the record must not wait for a turn of the event
 * loop (the launcher's child writes it before it execs; only Node's own spawn comes here).
 */
function journalStart(journal: NonNullable<StartRequest["journal"]>, pid: number): void {
  try {
    appendFileSync(journal.file, `${journal.entry} ${pid}\n`);
  } catch {
    // no journal: the process runs unrecorded, as before there was one
  }
}

const TAIL = 4_000;
/** How long output held back by the redaction waits before it is looked at again (see `settle`). */
const SETTLE_MS = 100;

/**
 * A process that did not start because of its working directory says so: both starters report a
 * missing or non-directory cwd as `spawn /bin/sh ENOENT` (or ENOTDIR), as if the shell's program
 * were missing. (A program that is missing indeed, `spawn python3 ENOENT`, keeps that message.)
 */
function whyNotStarted(exit: ProcessExit, cwd: string): ProcessExit {
  const code = exit.spawn_error!.code;
  if (code !== "ENOENT" && code !== "ENOTDIR") return exit;
  const why = whyNotADirectory(cwd);
  return why === undefined ? exit : spawnError(code, `the working directory ${cwd} ${why} (${code}): nothing ran`);
}

let scripts = 0;

/** Where a template shell's script goes while it runs: beside the attempt's log. */
function scriptPath(logFile: string): string {
  return join(dirname(logFile), `${basename(logFile, ".log")}.${process.pid}-${++scripts}.script`);
}

async function writeScript(path: string, script: string): Promise<void> {
  try {
    await writeFile(path, script);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, script);
  }
}

export async function runCommand(spec: RunSpec): Promise<RunResult> {
  // peh's `$ command`, `shell:` and `[exit …]` lines go to the log whatever its limit, never to
  // the tail: the shell's words are no output to classify. The shell is named when it is not the
  // default (`/bin/sh -e`, which the README states).
  const shell = spec.shell ?? shellCommand();
  const named = shell.label === shellCommand().label ? "" : spec.redact(shellLineOf(shell.label));
  const log = new AttemptLog(spec.logFile, spec.logLimit ?? attemptLogLimit(spec.env ?? process.env), spec.redact(echoOf(spec.command)) + named);
  const started = performance.now();
  let tail = "";
  // Whole lines are redacted at once: a secret split between two chunks is found all the same.
  const redacting = redactingStream(spec.redact);
  const emit = (redacted: string) => {
    log.write(redacted);
    if (redacted !== "") tail = (tail + redacted).slice(-TAIL);
  };
  // What the redaction holds back (the last line, for a secret that may go on in the next) goes
  // to the log once it is sure no secret does: a line printed before a long wait is seen live.
  let settling: NodeJS.Timeout | undefined;
  const settle = () => {
    settling = undefined;
    emit(redacting.settle());
  };
  const written = (text: string) => {
    emit(redacting.write(text));
    settling ??= setTimeout(settle, SETTLE_MS);
  };
  let pending = "";
  let stoppedByLines = false;
  const stopByLines = () => ((stoppedByLines = true), killGroup());
  // With `lines`, output goes on line by line, each line as `lines` renders it.
  const write = (text: string) => {
    if (!spec.lines) return written(text);
    pending += text;
    let at;
    while ((at = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, at);
      pending = pending.slice(at + 1);
      written(spec.lines(line, stopByLines));
    }
  };
  const flushLines = () => {
    if (spec.lines && pending !== "") written(spec.lines(pending, stopByLines));
    pending = "";
  };
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
  const stopTimer = spec.timeoutMs ? timer(spec.timeoutMs, () => ((timedOut = true), killGroup())) : undefined;
  let idled = false;
  let stopIdle: (() => void) | undefined;
  const armIdle = () => {
    stopIdle?.();
    if (spec.idleTimeoutMs && !killed) stopIdle = timer(spec.idleTimeoutMs, () => ((idled = true), killGroup()));
  };
  armIdle();
  const onAbort = () => ((aborted = true), killGroup());
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  if (spec.signal?.aborted) onAbort();
  const script = shell.file ? scriptPath(spec.logFile) : undefined;
  const argv = shellArgv(shell, spec.command, script);
  const request: StartRequest = {
    // The script peh writes for a template shell stays readable inside the sandbox.
    argv: spec.wrap ? spec.wrap(argv, { cwd: spec.cwd, files: script === undefined ? [] : [script] }) : argv,
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    ...(spec.extraEnv === undefined ? {} : { extraEnv: spec.extraEnv }),
    ...(spec.journal === undefined ? {} : { journal: spec.journal }),
    ...(spec.stdin === undefined ? {} : { stdin: spec.stdin }),
    onOutput: (chunk) => {
      if (spec.idleTimeoutMs) armIdle();
      write(decoder.write(chunk));
    },
    onPid: (started) => {
      pid = started;
      spec.onSpawn?.(started);
      if (killed) killGroup(); // timed out or stopped before the process existed
    },
  };
  // A process that cannot be started at all (Node refuses an argument, a script file cannot be
  // written) ends the attempt with a spawn error, as a missing cwd does, never the orchestrator.
  const exit: ProcessExit = await (script === undefined ? Promise.resolve() : writeScript(script, spec.command))
    .then(() => (spec.start ?? spawnDirect)(request))
    .catch(spawnErrorOf)
    .then((ended) => (ended.spawn_error ? whyNotStarted(ended, spec.cwd) : spec.wrap ? exitThroughSandbox(ended) : ended));
  stopTimer?.();
  stopIdle?.();
  if (script !== undefined) await rm(script, { force: true });
  spec.signal?.removeEventListener("abort", onAbort);
  killGroup(); // leftovers of the group, if any
  write(decoder.end());
  flushLines();
  clearTimeout(settling);
  emit(redacting.end());
  const why = exit.spawn_error ? spec.redact(`${exit.spawn_error.message}\n`) : "";
  const duration_ms = Math.round(performance.now() - started);
  const how = `${timedOut ? ", timed out" : ""}${idled ? `, no output for ${spec.idleTimeoutMs} ms` : ""}${aborted ? ", stopped" : ""}${stoppedByLines ? ", stopped: budget spent" : ""}`;
  await log.end(`${why}\n[exit ${exit.exit_code ?? exit.signal ?? exit.spawn_error?.code}${how} after ${duration_ms} ms]\n`);
  return { ...exit, timed_out: timedOut, aborted, duration_ms, tail, ...(idled ? { idled } : {}), ...(stoppedByLines ? { stopped: true } : {}) };
}
