// The run's lock (every append takes it) and the record of an attempt's process groups: neither
// makes a new file per use, and both still read what an older peh wrote.
import { spawn, spawnSync } from "node:child_process";
import { link, lstat, mkdir, readdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hostname } from "node:os";
import { FileLock } from "../../events/adapters/lowdb/file-lock.js";
import { holderText, parseHolder, startOf } from "../../events/adapters/lowdb/process-identity.js";
import { PidRecords } from "../../runtime/execution/attempt/attempt-support.js";
import { tempDir } from "../support/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => dir.remove());

/** The pid of a process that has exited (and was reaped). */
const deadPid = () => spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();

describe("the run's lock", () => {
  it("names its holder (pid, host, start time) while held, as a link to the lock's key file, and is gone once released", async () => {
    const lock = new FileLock(join(dir.path, "events.lock"));
    await lock.acquire();
    expect(parseHolder(await readFile(lock.path, "utf8"))).toEqual({ pid: process.pid, host: hostname(), start: startOf(process.pid), started: expect.any(String) });
    expect((await stat(lock.path)).nlink).toBe(2);
    await lock.release();
    await expect(lstat(lock.path)).rejects.toThrow(/ENOENT/);
    await lock.dispose();
    expect(await readdir(dir.path)).toEqual([]);
  });

  it("is given to a second taker only after the first releases it", async () => {
    const path = join(dir.path, "events.lock");
    const first = new FileLock(path);
    await first.acquire();
    let released = false;
    const second = new FileLock(path).acquire().then(() => released);
    released = true;
    await first.release();
    expect(await second).toBe(true);
  });

  it("writes its key file again when it was removed from outside", async () => {
    const lock = new FileLock(join(dir.path, "events.lock"));
    await lock.acquire();
    await lock.release();
    for (const name of await readdir(dir.path)) await unlink(join(dir.path, name));
    await lock.acquire();
    expect(await readFile(lock.path, "utf8")).toBe(holderText());
  });

  it.each([
    ["a link to its key file", async (path: string, pid: string) => (await writeFile(`${path}.${pid}-1`, `${pid}\n`), link(`${path}.${pid}-1`, path))],
    ["a file, as an older peh wrote it", (path: string, pid: string) => writeFile(path, `${pid}\n`)],
  ])("is taken over from a dead holder when it is %s, and the dead holder's key file removed", async (_, leave) => {
    const path = join(dir.path, "events.lock");
    const dead = deadPid();
    await leave(path, dead);
    await new FileLock(path, 5_000).acquire();
    expect(await readFile(path, "utf8")).toBe(holderText());
    expect((await readdir(dir.path)).filter((name) => name.includes(`.${dead}-`))).toEqual([]);
  });

  it("removes the key files that dead processes left, and no one else's", async () => {
    const path = join(dir.path, "events.lock");
    const dead = deadPid();
    await writeFile(`${path}.${dead}-3`, `${dead}\n`);
    await writeFile(`${path}.${process.ppid}-1`, `${process.ppid}\n`);
    await writeFile(join(dir.path, "events.jsonl"), "");
    const lock = new FileLock(path);
    await lock.acquire();
    const names = await readdir(dir.path);
    expect(names).not.toContain(`events.lock.${dead}-3`);
    expect(names).toEqual(expect.arrayContaining(["events.jsonl", "events.lock", `events.lock.${process.ppid}-1`]));
  });

  it("times out naming a live holder: its pid, host and start", async () => {
    const path = join(dir.path, "events.lock");
    await writeFile(path, `${process.ppid}\n`);
    await expect(new FileLock(path, 50).acquire()).rejects.toThrow(new RegExp(`pid ${process.ppid} on host ${hostname()} holds it`));
    await writeFile(path, JSON.stringify({ pid: process.ppid, host: hostname(), start: startOf(process.ppid), started: "2026-01-15T14:23:45.000Z" }));
    await expect(new FileLock(path, 50).acquire()).rejects.toThrow(new RegExp(`pid ${process.ppid} on host ${hostname()}, started 2026-01-15 14:23:45 UTC holds it`));
  });

  it.runIf(startOf(process.pid) !== undefined)("is taken over from a live pid that is no longer its holder (the pid was reused), key file and all", async () => {
    const path = join(dir.path, "events.lock");
    const other = spawn("/bin/sh", ["-c", "sleep 60"], { stdio: "ignore" });
    try {
      // The holder had this pid, but started at another time: another process has the pid now.
      const stale = JSON.stringify({ pid: other.pid, host: hostname(), start: `${startOf(process.pid)!.split(":")[0]}:1` });
      await writeFile(`${path}.${other.pid}-1`, stale);
      await link(`${path}.${other.pid}-1`, path);
      await new FileLock(path, 5_000).acquire();
      expect(await readFile(path, "utf8")).toBe(holderText());
      expect(await readdir(dir.path)).not.toContain(`events.lock.${other.pid}-1`);
    } finally {
      other.kill();
    }
  });
});

describe("the record of attempts' process groups", () => {
  const sleeper = () => {
    const child = spawn("/bin/sh", ["-c", "sleep 60"], { detached: true, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    return { pid: child.pid!, exited };
  };

  it("lets a later peh kill the group, once: the record is spent", async () => {
    const records = new PidRecords(dir.path);
    const first = sleeper();
    await records.record("build#1", first.pid);
    await records.record("test#1", 999_998);
    expect(records.recorded("build#1")).toEqual([first.pid]);
    expect(await records.killOrphans("build#1")).toBe("running");
    expect(await first.exited).toBe("SIGKILL");
    expect(records.recorded("build#1")).toEqual([]);
    expect(records.recorded("test#1")).toEqual([999_998]);
  });

  it("keeps every process of an attempt, its checks too, until each has ended", async () => {
    const records = new PidRecords(dir.path);
    const check = sleeper();
    await records.record("build#1", 999_999); // the command
    await records.ended("build#1", 999_999);
    await records.record("build#1", check.pid); // a check
    expect(records.recorded("build#1")).toEqual([check.pid]);
    expect(await records.killOrphans("build#1")).toBe("running");
    expect(await check.exited).toBe("SIGKILL");
  });

  it("says whether an orphan still ran, had ended, or was never recorded", async () => {
    const records = new PidRecords(dir.path);
    expect(await records.killOrphans("pay#1")).toBe("none");
    await records.record("pay#1", Number(deadPid()));
    expect(await records.killOrphans("pay#1")).toBe("ended");
    // A process that ended in a group of its own, and whose parent never reaps it: a zombie,
    // which still takes a signal, as an orphan does until whoever inherited it reaps it.
    const parent = spawn("perl", ["-e", "$| = 1; my $pid = fork; if (!$pid) { setpgrp(0, 0); exit 0 } print \"$pid\\n\"; sleep 60"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString()))));
      const state = () => readFile(`/proc/${zombie}/stat`, "utf8").then((stat) => stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
      for (let polled = 0; (await state()) !== "Z" && polled < 500; polled++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await state()).toBe("Z");
      await records.record("pay#2", zombie);
      expect(await records.killOrphans("pay#2")).toBe("ended");
    } finally {
      parent.kill("SIGKILL");
    }
  });

  it("reads the pid file an older peh wrote", async () => {
    await mkdir(dir.path, { recursive: true });
    const orphan = sleeper();
    await writeFile(join(dir.path, "build#2.pid"), `${orphan.pid}\n`);
    const records = new PidRecords(dir.path);
    expect(await records.killOrphans("build#2")).toBe("running");
    expect(await orphan.exited).toBe("SIGKILL");
    await expect(lstat(join(dir.path, "build#2.pid"))).rejects.toThrow(/ENOENT/);
  });
});
