// The attempt log's limit: a command that prints past it leaves the head and the tail of its output
// in the log, with a line that says exactly how many bytes are left out between them, while the
// classification still gets the true tail. The limit comes from $PEH_ATTEMPT_LOG_MAX.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ATTEMPT_LOG_LIMIT_ENV, DEFAULT_ATTEMPT_LOG_LIMIT, attemptLogLimit } from "../../runtime/execution/attempt/attempt-log.js";
import { runCommand, type RunSpec } from "../../runtime/execution/process/process-runner.js";
import { tempDir } from "../support/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => dir.remove());

const logFile = () => join(dir.path, "attempts", "task#1.log");
const run = (command: string, extra: Partial<RunSpec> = {}) => runCommand({ command, cwd: dir.path, env: { PATH: process.env.PATH }, logFile: logFile(), redact: (t) => t, ...extra });
/** What `seq 1 n` prints. */
const seq = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join("");
const LEFT_OUT = /\n\[peh: (\d+) bytes of output left out here[^\n]*\]\n/;

/** The log of one command split into its parts: what it kept before and after the marker, and the count it gives. */
function sections(log: string, command: string) {
  const body = log.slice(`$ ${command}\n`.length).replace(/\n\[exit [^\n]*\]\n$/, "");
  const marker = LEFT_OUT.exec(body);
  if (!marker) return { head: body, tail: "", dropped: 0 };
  return { head: body.slice(0, marker.index), tail: body.slice(marker.index + marker[0].length), dropped: Number(marker[1]) };
}

describe("attempt log › its limit", () => {
  it("keeps the head and the tail of a command that prints past it, whole lines, and counts what it left out", async () => {
    const printed = seq(100_000);
    const result = await run("seq 1 100000", { logLimit: 64 * 1024 });
    const { head, tail, dropped } = sections(await readFile(logFile(), "utf8"), "seq 1 100000");
    expect(dropped).toBeGreaterThan(0);
    expect(printed.startsWith(head)).toBe(true);
    expect(printed.endsWith(tail)).toBe(true);
    expect(head.length + dropped + tail.length).toBe(printed.length);
    expect(head.length).toBeLessThanOrEqual(32 * 1024);
    expect(tail.length).toBeLessThanOrEqual(32 * 1024);
    expect(head.endsWith("\n")).toBe(true);
    expect(printed[printed.length - tail.length - 1]).toBe("\n");
    // The classification reads the process's true tail, not the log's.
    expect(result.tail).toBe(printed.slice(-4_000));
  });

  it("writes a command that stays under it whole", async () => {
    await run("seq 1 1000", { logLimit: 64 * 1024 });
    expect(await readFile(logFile(), "utf8")).toMatch(new RegExp(`^\\$ seq 1 1000\\n${seq(1000)}\\n\\[exit 0 after \\d+ ms\\]\\n$`));
  });

  it("counts the attempt's earlier commands: an acceptance test past the head keeps its own tail", async () => {
    await run("seq 1 8000", { logLimit: 64 * 1024 }); // ~38 KiB: past the head of 32 KiB, not past the tail after it
    await run("seq 1 20000", { logLimit: 64 * 1024 }); // ~106 KiB more
    const log = await readFile(logFile(), "utf8");
    const second = log.indexOf("$ seq 1 20000\n");
    expect(sections(log.slice(0, second), "seq 1 8000")).toEqual({ head: seq(8000), tail: "", dropped: 0 });
    const { head, tail, dropped } = sections(log.slice(second), "seq 1 20000");
    expect(head).toBe(""); // the attempt's head was full
    expect(seq(20_000).endsWith(tail)).toBe(true);
    expect(dropped + tail.length).toBe(seq(20_000).length);
  });

  it("is 1 MiB unless the run's environment says otherwise", async () => {
    await run("seq 1 400000"); // ~2.7 MB
    expect((await stat(logFile())).size).toBeLessThan(DEFAULT_ATTEMPT_LOG_LIMIT + 1024);
    expect(await readFile(logFile(), "utf8")).toMatch(LEFT_OUT);
  });

  it("keeps everything with a limit of 0", async () => {
    await run("seq 1 100000", { env: { PATH: process.env.PATH, [ATTEMPT_LOG_LIMIT_ENV]: "0" } });
    expect(sections(await readFile(logFile(), "utf8"), "seq 1 100000")).toEqual({ head: seq(100_000), tail: "", dropped: 0 });
  });
});

describe("attempt log › $PEH_ATTEMPT_LOG_MAX", () => {
  it.each([
    [undefined, DEFAULT_ATTEMPT_LOG_LIMIT],
    ["", DEFAULT_ATTEMPT_LOG_LIMIT],
    ["65536", 65_536],
    ["512K", 512 * 1024],
    ["512KiB", 512 * 1024],
    ["4M", 4 * 1024 * 1024],
    ["2MiB", 2 * 1024 * 1024],
    ["1g", 1024 * 1024 * 1024],
    ["0", 0],
  ])("%j is %d bytes", (value, bytes) => {
    expect(attemptLogLimit(value === undefined ? {} : { [ATTEMPT_LOG_LIMIT_ENV]: value })).toBe(bytes);
  });

  it.each(["lots", "-1", "1.5M", "100", "4 096", "2TB"])("refuses %j, saying what it wants", (value) => {
    expect(() => attemptLogLimit({ [ATTEMPT_LOG_LIMIT_ENV]: value })).toThrow(/PEH_ATTEMPT_LOG_MAX must be a size of at least 4K/);
  });
});
