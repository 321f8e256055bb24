// The escape suite: a `module` task's process, sandboxed as peh runs it, tries every way out of
// its scope it has. Each is refused, and the store and every file outside the scope are
// byte-identical afterwards. The network cases are first shown to work unsandboxed, so that
// "refused" means the sandbox refused them.
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanTask } from "../../events/index.js";
import { Launcher } from "../../runtime/execution/process/launcher.js";
import { runCommand, type RunResult } from "../../runtime/execution/process/process-runner.js";
import { redactorFor } from "../../runtime/execution/process/redact.js";
import { RunSandbox } from "../../runtime/workspace/run-sandbox.js";
import { skipWithoutSandbox } from "../support/sandbox.js";
import { tempDir } from "../support/temp-dir.js";

const task = { id: "escape", objective: "try to get out", scope: "module", scope_path: "mod", acceptance_tests: [], depends_on: [] } as unknown as PlanTask;

/** Every file and link under `root` but those under `skip`, with a hash of its bytes (or its link's target). */
async function snapshot(root: string, skip: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const path = join(dir, name);
      if (path === skip) continue;
      const info = await lstat(path);
      if (info.isDirectory()) await walk(path);
      else if (info.isSymbolicLink()) found[relative(root, path)] = `-> ${await readlink(path)}`;
      else found[relative(root, path)] = createHash("sha256").update(await readFile(path)).digest("hex");
    }
  };
  await walk(root);
  return found;
}

describe.skipIf(skipWithoutSandbox())("the sandbox of a module task", () => {
  let dir: { path: string; remove(): Promise<void> };
  /** The attempts' logs: peh writes them, outside what the snapshot covers. */
  let logs: { path: string; remove(): Promise<void> };
  let ws: string;
  let scope: string;
  let sandbox: RunSandbox;
  let before: Record<string, string>;
  let made = 0;
  /** One environment object for every process: the launcher serves only its run's own. */
  const env = { ...process.env };

  beforeAll(async () => {
    dir = await tempDir("peh-escape-");
    logs = await tempDir("peh-escape-logs-");
    ws = join(dir.path, "ws");
    scope = join(ws, "mod");
    await mkdir(scope, { recursive: true });
    await mkdir(join(ws, ".peh", "runs", "r1", "attempts"), { recursive: true });
    await mkdir(join(ws, ".git"), { recursive: true });
    await mkdir(join(dir.path, "outside"));
    await writeFile(join(ws, ".peh", "runs", "r1", "events.jsonl"), '{"seq":1,"type":"PLAN_CREATED"}\n');
    await writeFile(join(ws, ".git", "config"), "[core]\n");
    await writeFile(join(ws, "other.txt"), "another task's file\n");
    await writeFile(join(dir.path, "outside", "secret.txt"), "not the task's\n");
    // Planted inside the scope, pointing out of it.
    await symlink("../other.txt", join(scope, "planted"));
    sandbox = await RunSandbox.open("required", { workspace: ws, storeDir: join(ws, ".peh"), env: process.env });
    before = await snapshot(dir.path, scope);
  });

  afterAll(async () => {
    await dir?.remove();
    await logs?.remove();
  });

  /**
   * Runs `command` in the scope as an attempt's process, sandboxed (or not, for the controls),
   * spawned by Node (as an agent's prompt is), or by a run's launcher (as every other process).
   */
  function attempt(command: string, sandboxed = true, how: { launcher?: Launcher; stdin?: string } = {}): Promise<RunResult> {
    const wrap = sandboxed ? sandbox.wrapper(sandbox.profile(task, [])) : undefined;
    if (sandboxed) expect(wrap, "the profile is sandboxed").toBeDefined();
    return runCommand({
      command,
      cwd: scope,
      env,
      logFile: join(logs.path, `${++made}.log`),
      redact: redactorFor({}),
      ...(wrap ? { wrap } : {}),
      ...(how.launcher ? { start: how.launcher.start } : {}),
      ...(how.stdin === undefined ? {} : { stdin: how.stdin }),
    });
  }

  /** Refused, and nothing outside the scope changed. */
  async function refused(result: RunResult, said: RegExp): Promise<void> {
    expect(result.exit_code, result.tail).not.toBe(0);
    expect(result.tail).toMatch(said);
    expect(await snapshot(dir.path, scope)).toEqual(before);
  }

  it("is sandboxed alike when a run's launcher starts it, and when it reads a prompt on stdin", async () => {
    const launcher = new Launcher(env);
    try {
      await refused(await attempt("echo x >> ../.peh/runs/r1/events.jsonl", true, { launcher }), /Read-only file system/);
      await refused(await attempt("cat > ../other.txt", true, { stdin: "an agent's prompt\n" }), /Read-only file system/);
    } finally {
      launcher.close();
    }
  });

  it("writes inside its scope", async () => {
    const result = await attempt("echo made > made.txt && cat made.txt");
    expect(result.exit_code, result.tail).toBe(0);
    expect(await readFile(join(scope, "made.txt"), "utf8")).toBe("made\n");
  });

  it("cannot write by absolute path", async () => {
    // Outside the workspace under /tmp is out of sight (the private /tmp hides it); elsewhere read-only.
    await refused(await attempt(`echo x > ${join(dir.path, "outside", "secret.txt")}`), /Directory nonexistent/);
    await refused(await attempt("echo x > /usr/local/peh-escape-probe"), /Read-only file system/);
    await expect(lstat("/usr/local/peh-escape-probe")).rejects.toThrow(/ENOENT/);
    await refused(await attempt(`echo x > ${join(ws, "other.txt")}`), /Read-only file system/);
  });

  it("cannot write by ..", async () => {
    await refused(await attempt("echo x > ../other.txt"), /Read-only file system/);
    await refused(await attempt("echo x > ../../outside/new.txt"), /Directory nonexistent/);
  });

  it("cannot write through a symlink planted in its scope, nor one it plants", async () => {
    await refused(await attempt("echo x > planted"), /Read-only file system/);
    await refused(await attempt("ln -s ../other.txt mine && echo x > mine"), /Read-only file system/);
  });

  it("cannot hard-link a file from outside into its scope", async () => {
    await refused(await attempt("ln ../other.txt hard && echo x > hard"), /Invalid cross-device link|Read-only|not permitted/);
  });

  it("cannot touch the run's log in .peh/", async () => {
    await refused(await attempt(`echo '{"seq":2,"type":"FORGED"}' >> ../.peh/runs/r1/events.jsonl`), /Read-only file system/);
    await refused(await attempt("rm -f ../.peh/runs/r1/events.jsonl"), /Read-only file system/);
  });

  it("cannot write into .git/", async () => {
    await refused(await attempt("echo x >> ../.git/config"), /Read-only file system/);
    await refused(await attempt("mkdir ../.git/hooks"), /Read-only file system/);
  });

  it("has a /tmp of its own: another task's /tmp is out of its sight", async () => {
    // The first process keeps its /tmp file while it waits on a FIFO in its scope.
    const fifo = join(scope, "hold");
    // A name of this run's own: a run of this suite without the sandbox would leave the file on the host.
    const mark = `/tmp/peh-escape-mark-${process.pid}-${made}`;
    await runCommand({ command: `mkfifo ${fifo}`, cwd: scope, logFile: join(logs.path, "mkfifo.log"), redact: redactorFor({}) });
    const holding = attempt(`echo mine > ${mark} && read line < ${fifo} && cat ${mark}`);
    const other = await attempt(`cat ${mark}; echo theirs > ${mark}; ls -A /tmp`);
    await writeFile(fifo, "go\n");
    const held = await holding;
    expect(other.tail).toMatch(/No such file/);
    expect(held.exit_code, held.tail).toBe(0);
    expect(held.tail.trim()).toBe("mine");
    await expect(lstat(mark)).rejects.toThrow(/ENOENT/);
  });

  it("cannot connect to a listener on the host's loopback", async () => {
    let connections = 0;
    const server = createServer((socket) => (connections++, socket.end()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const connect = `${process.execPath} -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', (e) => { console.log('refused: ' + e.code); process.exit(7); })"`;
    try {
      const control = await attempt(connect, false);
      expect(control.exit_code, `unsandboxed, it connects: ${control.tail}`).toBe(0);
      const seen = connections;
      await refused(await attempt(connect), /refused: ECONNREFUSED/);
      expect(connections).toBe(seen);
    } finally {
      server.close();
    }
  });

  it("cannot make a DNS lookup", async () => {
    let queries = 0;
    const dns = createSocket("udp4");
    dns.on("message", () => queries++);
    await new Promise<void>((resolve) => dns.bind(0, "127.0.0.1", resolve));
    const port = dns.address().port;
    // Any answer, or none within its timeout, ends the lookup; only whether the query arrived counts.
    const lookup = `${process.execPath} -e "const r = new (require('dns').promises.Resolver)({ timeout: 300, tries: 1 }); r.setServers(['127.0.0.1:${port}']); r.resolve4('example.com').then(() => process.exit(0), (e) => { console.log('lookup failed: ' + e.code); process.exit(7); })"`;
    try {
      await attempt(lookup, false);
      expect(queries, "unsandboxed, the query reaches the server").toBeGreaterThan(0);
      const seen = queries;
      await refused(await attempt(lookup), /lookup failed/);
      expect(queries).toBe(seen);
    } finally {
      dns.close();
    }
  });
});
