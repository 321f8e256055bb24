// One process of an attempt, started by Node itself and by a run's launcher: both must give the
// same exit, the same output, the same group kill and the same errors, or the launcher is not
// an optimisation but a different runtime.
import { spawnSync } from "node:child_process";
import { readdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Launcher } from "../../runtime/execution/process/launcher.js";
import { runCommand, spawnDirect, type ProcessStarter, type RunSpec } from "../../runtime/execution/process/process-runner.js";
import { redactingStream, redactorFor } from "../../runtime/execution/process/redact.js";
import { shellCommand } from "../../runtime/execution/process/shell.js";
import { tempDir } from "../support/temp-dir.js";

const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PEH_PROBE: "from the run", API_TOKEN: "s3cr3t-value-of-the-run" };
const launcher = new Launcher(env);
afterAll(() => launcher.close());

const starters: [string, ProcessStarter][] = [
  ["spawned by Node", spawnDirect],
  ["started by the launcher", launcher.start],
];

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => dir.remove());

/** Gone, or dead and not yet reaped by whoever inherited it (a zombie runs nothing). */
async function gone(pid: number): Promise<boolean> {
  const dead = async () => {
    try {
      return (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.startsWith("Z") ?? true;
    } catch {
      return true;
    }
  };
  // A killed process is gone once the kernel has run its exit: poll for it, up to 5 s.
  for (let polled = 0; polled < 500; polled++) {
    if (await dead()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

describe.each(starters)("a process %s", (_, start) => {
  const run = (command: string, extra: Partial<RunSpec> = {}) => runCommand({ command, cwd: dir.path, env, logFile: join(dir.path, "out", "attempt.log"), redact: redactorFor(env), start, ...extra });
  const log = () => readFile(join(dir.path, "out", "attempt.log"), "utf8");

  it("ends with its exit code, its stdout and stderr in the log", async () => {
    const result = await run("echo to-out; echo to-err >&2; exit 3");
    expect(result).toMatchObject({ exit_code: 3, signal: null, timed_out: false, aborted: false });
    expect(result.spawn_error).toBeUndefined();
    const written = await log();
    expect(written).toMatch(/^\$ echo to-out.*\n\[exit 3 after \d+ ms\]\n$/s);
    expect(written).toContain("to-out\n");
    expect(written).toContain("to-err\n");
  });

  it("keeps as its tail only what the process printed: the log's `$ command` and `[exit …]` lines are peh's", async () => {
    const result = await run("echo checking the schema; exit 2");
    expect(result.tail).toBe("checking the schema\n");
    expect(await log()).toMatch(/^\$ echo checking the schema; exit 2\nchecking the schema\n\n\[exit 2 after \d+ ms\]\n$/);
    const silent = await run("exit 1");
    expect(silent.tail).toBe("");
  });

  it("tells a signal from an exit code, 137 included", async () => {
    expect(await run("kill -TERM $$")).toMatchObject({ exit_code: null, signal: "SIGTERM" });
    expect(await run("exit 137")).toMatchObject({ exit_code: 137, signal: null });
  });

  it("runs in its cwd with the run's environment, stdin closed", async () => {
    const result = await run('pwd; echo "$PEH_PROBE"; cat; echo end');
    expect(result.exit_code).toBe(0);
    expect(result.tail).toContain(`${await realpath(dir.path)}\nfrom the run\nend\n`);
  });

  it("waits for the output of a child that still holds its stdout", async () => {
    const result = await run("(sleep 0.3; echo late) &");
    expect(result.exit_code).toBe(0);
    expect(await log()).toContain("late\n");
  });

  it("is killed with its whole group on timeout", async () => {
    const pidFile = join(dir.path, "child.pid");
    const result = await run(`sleep 60 & echo $! > ${pidFile}; wait`, { timeoutMs: 300 });
    expect(result).toMatchObject({ timed_out: true, exit_code: null, signal: "SIGKILL" });
    expect(await gone(Number(await readFile(pidFile, "utf8")))).toBe(true);
  });

  it("is killed when the run stops, as soon as it exists", async () => {
    const stop = new AbortController();
    let pid = 0;
    const result = await run("sleep 60", { signal: stop.signal, onSpawn: (started) => ((pid = started), stop.abort()) });
    expect(result).toMatchObject({ aborted: true, signal: "SIGKILL" });
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });

  it("does not start in a cwd that does not exist, and says why", async () => {
    const marker = join(dir.path, "ran");
    const missing = join(dir.path, "missing");
    const result = await run(`touch ${marker}`, { cwd: missing });
    expect(result).toMatchObject({ exit_code: null, signal: null, spawn_error: { code: "ENOENT" } });
    expect(result.spawn_error?.message).toBe(`the working directory ${missing} does not exist (ENOENT): nothing ran`);
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
    expect(await log()).toContain(`the working directory ${missing} does not exist`);
    expect(await log()).toContain("[exit ENOENT");
  });

  it("does not start in a cwd that is a file, and says why", async () => {
    const file = join(dir.path, "a-file.txt");
    await writeFile(file, "not a directory\n");
    const result = await run("echo ran", { cwd: file });
    expect(result).toMatchObject({ exit_code: null, signal: null, spawn_error: { code: "ENOTDIR" } });
    expect(result.spawn_error?.message).toBe(`the working directory ${file} is not a directory (ENOTDIR): nothing ran`);
    expect(await log()).not.toContain("\nran\n");
  });

  it("never writes a secret of the environment, even printed in two pieces", async () => {
    // The command prints the token in two writes, and does not contain it itself.
    const result = await run(`printf '%s-' "\${API_TOKEN%%-*}"; sleep 0.2; printf '%s\\n' "\${API_TOKEN#*-}"`);
    expect(result.exit_code).toBe(0);
    const written = await log();
    expect(written).not.toMatch(/s3cr3t|value-of-the-run/);
    expect(written).toContain("[redacted:API_TOKEN]");
  });

  it("reads a prompt on stdin", async () => {
    const result = await run("cat", { stdin: "the prompt\n" });
    expect(result.exit_code).toBe(0);
    expect(result.tail).toContain("the prompt\n");
  });

  it("records its process group in the run's journal", async () => {
    const file = join(dir.path, "pids");
    let pid = 0;
    const result = await run("true", { journal: { file, entry: "build#1" }, onSpawn: (started) => (pid = started) });
    expect(result.exit_code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(`build#1 ${pid}\n`);
  });

  it("stops a script at its first failing line by default (/bin/sh -e), and the log says what ran it", async () => {
    const result = await run("false\ncp does-not-exist dist/\necho finished $((6 * 7))");
    expect(result).toMatchObject({ exit_code: 1, signal: null });
    const written = await log();
    expect(written).not.toContain("finished 42");
    expect(written).not.toContain("does-not-exist:"); // cp never ran
    expect(written).toMatch(/^\$ false\ncp does-not-exist dist\/\necho finished \$\(\(6 \* 7\)\)\n/);
    expect(written).not.toContain("shell: "); // the default is not named
  });

  it("runs a script with bash: a failure inside a pipe fails it (pipefail)", async () => {
    const result = await run('echo "bash $BASH_VERSION"\nfalse | true\necho after $((6 * 7))', { shell: shellCommand("bash") });
    expect(result.exit_code).toBe(1);
    expect(result.tail).toMatch(/bash \d/);
    expect(result.tail).not.toContain("after 42");
    expect(await log()).toContain("shell: bash --noprofile --norc -eo pipefail\n");
  });

  it("runs a template with the script in a file at {0}, and removes the file after", async () => {
    const lenient = await run("false\necho finished $((6 * 7))", { shell: shellCommand("sh {0}") });
    expect(lenient.exit_code).toBe(0);
    expect(lenient.tail).toContain("finished 42\n");
    const python = await run('import os\nprint("python" + " in", os.getcwd())', { shell: shellCommand("python3 {0}") });
    expect(python.exit_code).toBe(0);
    expect(python.tail).toContain(`python in ${await realpath(dir.path)}\n`);
    expect(await log()).toContain("shell: python3 {0}\n");
    expect((await readdir(join(dir.path, "out"))).filter((name) => name.endsWith(".script"))).toEqual([]);
  });

  it("does not start when its shell's program does not exist, and names the program", async () => {
    const marker = join(dir.path, "ran");
    const result = await run(`touch ${marker}`, { shell: shellCommand("no-such-interpreter {0}") });
    expect(result).toMatchObject({ exit_code: null, signal: null, spawn_error: { code: "ENOENT", message: "spawn no-such-interpreter ENOENT" } });
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/);
  });

  it("adds a task's own variables to the run's environment, over the run's", async () => {
    const result = await run('echo "$PEH_PROBE / $TASK_MODE / ${EMPTY-unset}."', { extraEnv: { TASK_MODE: "in ci", PEH_PROBE: "from the task", EMPTY: "" } });
    expect(result.exit_code).toBe(0);
    expect(result.tail).toContain("from the task / in ci / .\n");
    expect((await run('echo "$TASK_MODE."')).tail).toBe(".\n"); // the next process has the run's alone
  });

  it("holds a timeout longer than Node's timers (1000h): not killed after 25 days, killed at 1000h", async () => {
    const hours = 3_600_000;
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const kill = vi.spyOn(process, "kill"); // still kills: the group's kill is what is watched
    try {
      let started: (pid: number) => void = () => undefined;
      const spawned = new Promise<number>((resolve) => (started = resolve));
      const running = run("sleep 60", { timeoutMs: 1000 * hours, onSpawn: (pid) => started(pid) });
      const pid = await spawned;
      await vi.advanceTimersByTimeAsync(25 * 24 * hours);
      expect(kill).not.toHaveBeenCalledWith(-pid, "SIGKILL");
      await vi.advanceTimersByTimeAsync(1000 * hours - 25 * 24 * hours);
      expect(kill).toHaveBeenCalledWith(-pid, "SIGKILL");
      expect(await running).toMatchObject({ timed_out: true, signal: "SIGKILL" });
    } finally {
      kill.mockRestore();
      vi.useRealTimers();
    }
  });
});

describe("the launcher", () => {
  it("keeps the output of processes that run at once apart", async () => {
    const logs = Array.from({ length: 12 }, (_, i) => join(dir.path, `p${i}.log`));
    const results = await Promise.all(
      logs.map((logFile, i) => runCommand({ command: `for n in 1 2 3; do echo p${i}-$n; done`, cwd: dir.path, env, logFile, redact: (t) => t, start: launcher.start })),
    );
    expect(results.every((r) => r.exit_code === 0)).toBe(true);
    for (const [i, logFile] of logs.entries()) expect((await readFile(logFile, "utf8")).match(/p\d+-\d/g)).toEqual([`p${i}-1`, `p${i}-2`, `p${i}-3`]);
  });

  /** A launcher of the test's own (the shared one may have lost its helpers), closed after `use`. */
  async function withLauncher(launchEnv: NodeJS.ProcessEnv, use: (own: Launcher) => Promise<void>): Promise<void> {
    const own = new Launcher(launchEnv);
    try {
      await use(own);
    } finally {
      own.close();
    }
  }

  /** Kills this test process's perl helpers, as someone outside peh might. */
  const killHelpers = () => {
    const pids = spawnSync("pgrep", ["-P", String(process.pid), "perl"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const pid of pids) process.kill(Number(pid), "SIGKILL");
    return pids.length;
  };

  it("starts a process another way when its helper was killed while idle", () =>
    withLauncher(env, async (own) => {
      const spec = { command: "echo again", cwd: dir.path, env, logFile: join(dir.path, "again.log"), redact: (t: string) => t, start: own.start };
      expect((await runCommand(spec)).exit_code).toBe(0);
      expect(killHelpers()).toBeGreaterThan(0);
      const result = await runCommand(spec);
      expect(result.exit_code).toBe(0);
      expect(result.tail).toContain("again\n");
    }));

  it("reports a launcher killed while its process ran, and kills that process's group", () =>
    withLauncher(env, async (own) => {
      let pid = 0;
      const result = await runCommand({
        command: "sleep 60",
        cwd: dir.path,
        env,
        logFile: join(dir.path, "killed.log"),
        redact: (t) => t,
        start: own.start,
        onSpawn: (started) => ((pid = started), killHelpers()),
      });
      expect(result.spawn_error).toMatchObject({ code: "LAUNCHER" });
      expect(await gone(pid)).toBe(true);
    }));

  it("cannot start a command with a NUL byte, as Node's spawn cannot, and goes on starting others", () =>
    withLauncher(env, async (own) => {
      const spec = { cwd: dir.path, env, logFile: join(dir.path, "nul.log"), redact: (t: string) => t };
      expect((await runCommand({ ...spec, command: "true", start: own.start })).exit_code).toBe(0); // a live helper
      const direct = await runCommand({ ...spec, command: "echo a\0b", start: spawnDirect });
      const launched = await runCommand({ ...spec, command: "echo a\0b", start: own.start });
      for (const result of [direct, launched]) expect(result).toMatchObject({ exit_code: null, signal: null, spawn_error: { code: "ERR_INVALID_ARG_VALUE" } });
      const next = await runCommand({ ...spec, command: "echo next", start: own.start });
      expect(next.tail).toContain("next\n");
    }));

  it("records a process's group before the process runs anything", () =>
    withLauncher(env, async (own) => {
      const file = join(dir.path, "pids");
      const spec = { cwd: dir.path, env, logFile: join(dir.path, "journaled.log"), redact: (t: string) => t, start: own.start, journal: { file, entry: "pay#1" } };
      const result = await runCommand({ ...spec, command: `echo "I am $$"; cat ${file}` });
      const [, me] = /I am (\d+)\n/.exec(result.tail) ?? [];
      expect(result.tail).toContain(`\npay#1 ${me}\n`);
    }));

  it("starts a process with a task's own variables from its helper, not from Node", () =>
    withLauncher(env, async (own) => {
      const spec = { cwd: dir.path, env, logFile: join(dir.path, "own-env.log"), redact: (t: string) => t, start: own.start };
      const result = await runCommand({ ...spec, command: 'echo "parent $PPID, $TASK_MODE"', extraEnv: { TASK_MODE: "in ci" } });
      const [, parent] = /parent (\d+), in ci\n/.exec(result.tail) ?? [];
      expect(Number(parent)).toBeGreaterThan(0);
      expect(Number(parent)).not.toBe(process.pid);
    }));

  it("falls back to Node's spawn where perl cannot be found", () => {
    const bare: NodeJS.ProcessEnv = { PATH: join(dir.path, "no-such-bin") };
    return withLauncher(bare, async (without) => {
      const result = await runCommand({ command: "echo still runs", cwd: dir.path, env: bare, logFile: join(dir.path, "bare.log"), redact: (t) => t, start: without.start });
      expect(result.exit_code).toBe(0);
      expect(result.tail).toContain("still runs\n");
    });
  });
});

describe("redaction of output in chunks", () => {
  const redact = redactorFor({ DEPLOY_KEY: "0123456789abcdef" });
  const written = (chunks: string[]) => {
    const stream = redactingStream(redact);
    return chunks.map((chunk) => stream.write(chunk)).join("") + stream.end();
  };

  it("finds a secret split between chunks, at any point", () => {
    const text = "before\nthe key is 0123456789abcdef here\nafter\n";
    for (let cut = 0; cut <= text.length; cut++) {
      const out = written([text.slice(0, cut), text.slice(cut)]);
      expect(out).toBe("before\nthe key is [redacted:DEPLOY_KEY] here\nafter\n");
    }
  });

  it("holds a private key block until its end", () => {
    const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\nabcd\n-----END RSA PRIVATE KEY-----";
    const out = written(["log\n", key.slice(0, 40), key.slice(40), "\nmore\n"]);
    expect(out).toBe("log\n[redacted]\nmore\n");
  });
});
