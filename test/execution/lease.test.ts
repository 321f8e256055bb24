// The run's lease: one orchestrator at a time. Its holder is a pid, a host and a start time, so a
// pid that was reused by another process never passes for the holder that died.
import { spawn, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunIdSchema, isPehError } from "../../events/index.js";
import { holderText, startOf } from "../../events/adapters/lowdb/process-identity.js";
import { fileLeases } from "../../runtime/execution/lease.js";
import { tempDir } from "../support/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
let other: ReturnType<typeof spawn>;
beforeEach(async () => {
  dir = await tempDir();
  other = spawn("/bin/sh", ["-c", "sleep 60"], { stdio: "ignore" });
});
afterEach(async () => {
  other.kill();
  await dir.remove();
});

const lease = () => join(dir.path, "lease");
const r1 = RunIdSchema.parse("r-1");
const leases = fileLeases(() => dir.path);
const holderFile = (fields: Record<string, unknown>) => writeFile(lease(), JSON.stringify({ host: hostname(), ...fields }) + "\n");

describe("the run's lease", () => {
  it("names its holder while held: pid, host and start time", async () => {
    const held = await leases.acquire(r1);
    expect(await readFile(lease(), "utf8")).toBe(holderText());
    expect(await leases.holder(r1)).toEqual({ holder: expect.objectContaining({ pid: process.pid, host: hostname() }), alive: true });
    await held.release();
    expect(await leases.holder(r1)).toBeUndefined();
  });

  it("is refused while another live process holds it, naming its pid, host and start", async () => {
    await holderFile({ pid: other.pid, start: startOf(other.pid!), started: "2026-01-15T14:23:45.120Z" });
    const error = await leases.acquire(r1).catch((caught: unknown) => caught);
    expect(isPehError(error, "APPEND_CONFLICT")).toBe(true);
    expect((error as Error).message).toBe(`run r-1 is being run by another peh (pid ${other.pid} on host ${hostname()}, started 2026-01-15 14:23:45 UTC)`);
  });

  it("is taken over from a dead holder", async () => {
    const dead = Number(spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
    await holderFile({ pid: dead });
    expect((await leases.holder(r1))?.alive).toBe(false);
    expect((await leases.acquire(r1)).tookOverFrom).toBe(dead);
  });

  it.runIf(startOf(process.pid) !== undefined)("is taken over when its pid is alive but another process has it (a start time that differs)", async () => {
    await holderFile({ pid: other.pid, start: `${startOf(process.pid)!.split(":")[0]}:1` });
    expect((await leases.holder(r1))?.alive).toBe(false);
    const taken = await leases.acquire(r1);
    expect(taken.tookOverFrom).toBe(other.pid);
    expect(await readFile(lease(), "utf8")).toBe(holderText());
  });

  it("reads a lease an older peh wrote (a pid alone)", async () => {
    await writeFile(lease(), `${other.pid}\n`);
    expect(await leases.holder(r1)).toEqual({ holder: { pid: other.pid, host: hostname() }, alive: true });
    expect(isPehError(await leases.acquire(r1).catch((caught: unknown) => caught), "APPEND_CONFLICT")).toBe(true);
  });
});
