// A cross-process lock on one file: created with O_EXCL, holding the owner's pid so that a lock
// left by a crashed process (dead pid) is taken over instead of blocking forever.
import { link, open, readFile, rename, unlink } from "node:fs/promises";
import { PehError } from "./errors.js";

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export class FileLock {
  constructor(
    readonly path: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async acquire(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 25)) {
      try {
        const handle = await open(this.path, "wx");
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      if (await this.breakIfStale()) continue;
      if (Date.now() > deadline) {
        const holder = await this.holder();
        throw new PehError(
          "LOCK_TIMEOUT",
          `could not lock ${this.path} within ${this.timeoutMs} ms: process ${holder ?? "?"} holds it`,
          holder ? `wait for process ${holder} to finish, or stop it` : `remove ${this.path} if no peh process is running`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async release(): Promise<void> {
    await unlink(this.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  private async holder(): Promise<number | undefined> {
    const text = await readFile(this.path, "utf8").catch(() => "");
    const pid = Number.parseInt(text, 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Removes the lock if its holder is dead. Renaming first means only one process breaks it. */
  private async breakIfStale(): Promise<boolean> {
    const pid = await this.holder();
    // A lock file caught between create and write has no pid yet: its writer is alive.
    if (pid === undefined || isProcessAlive(pid)) return false;
    const grave = `${this.path}.stale-${process.pid}-${Date.now()}`;
    try {
      await rename(this.path, grave);
    } catch {
      return true; // someone else broke it first; try again
    }
    const taken = Number.parseInt(await readFile(grave, "utf8").catch(() => ""), 10);
    if (taken !== pid && Number.isInteger(taken) && isProcessAlive(taken)) {
      // We moved a live lock that replaced the stale one in between: put it back, unless a third
      // process has taken the free place already (link, unlike rename, never overwrites).
      await link(grave, this.path).catch(() => undefined);
      await unlink(grave).catch(() => undefined);
      return false;
    }
    await unlink(grave).catch(() => undefined);
    return true;
  }
}
