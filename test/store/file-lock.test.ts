// The run's lock (every append takes it) and an attempt's pid record: both are symbolic links
// whose target is a pid, and both still read the plain files an older peh wrote.
import { spawn, spawnSync } from "node:child_process";
import { lstat, readlink, writeFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileLock } from "../../events/file-lock.js";
import { killOrphan, recordPid } from "../../runtime/attempt-support.js";
import { tempDir } from "../support/temp-dir.js";

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => dir.remove());

/** The pid of a process that has exited (and was reaped). */
const deadPid = () => spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();

describe("the run's lock", () => {
  it("is a symlink naming its holder while held, and gone once released", async () => {
    const lock = new FileLock(join(dir.path, "events.lock"));
    await lock.acquire();
    expect((await lstat(lock.path)).isSymbolicLink()).toBe(true);
    expect(await readlink(lock.path)).toBe(String(process.pid));
    await lock.release();
    await expect(lstat(lock.path)).rejects.toThrow(/ENOENT/);
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

  it.each([
    ["a symlink", (path: string, pid: string) => symlink(pid, path)],
    ["a file, as an older peh wrote it", (path: string, pid: string) => writeFile(path, `${pid}\n`)],
  ])("is taken over from a dead holder when it is %s", async (_, leave) => {
    const path = join(dir.path, "events.lock");
    await leave(path, deadPid());
    await new FileLock(path, 5_000).acquire();
    expect(await readlink(path)).toBe(String(process.pid));
  });

  it("times out naming a live holder", async () => {
    const path = join(dir.path, "events.lock");
    await writeFile(path, `${process.ppid}\n`);
    await expect(new FileLock(path, 50).acquire()).rejects.toThrow(new RegExp(`process ${process.ppid} holds it`));
  });
});

describe("an attempt's pid record", () => {
  it("lets a later peh kill the recorded process group, either kind of record", async () => {
    for (const record of [recordPid, (file: string, pid: number) => writeFile(file, `${pid}\n`)]) {
      const child = spawn("/bin/sh", ["-c", "sleep 60"], { detached: true, stdio: "ignore" });
      const exited = new Promise((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      const file = join(dir.path, "t#1.pid");
      await record(file, child.pid!);
      await killOrphan(file);
      expect(await exited).toBe("SIGKILL");
      await expect(lstat(file)).rejects.toThrow(/ENOENT/);
    }
  });

  it("replaces a record left by an earlier process", async () => {
    const file = join(dir.path, "t#1.pid");
    await recordPid(file, 111);
    await recordPid(file, 222);
    expect(await readlink(file)).toBe("222");
  });
});
