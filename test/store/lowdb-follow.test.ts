// A follow of the embedded store stopped before it began watching (a page that navigates away as
// its stream opens) leaves no file watcher behind: a leaked one kept `peh ui` and the bench
// process alive after they were done, and each took one of the user's inotify instances.
import type { FSWatcher } from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { RunIdSchema } from "../../events/index.js";
import { tempDir } from "../support/temp-dir.js";

const watchers = vi.hoisted(() => ({ open: new Set<unknown>(), mkdirs: [] as Promise<unknown>[] }));

vi.mock("node:fs", async (original) => {
  const fs = await original<typeof import("node:fs")>();
  const watch = ((...args: Parameters<typeof fs.watch>) => {
    const watcher: FSWatcher = fs.watch(...args);
    watchers.open.add(watcher);
    const close = watcher.close.bind(watcher);
    watcher.close = () => {
      watchers.open.delete(watcher);
      close();
    };
    return watcher;
  }) as typeof fs.watch;
  return { ...fs, watch, default: { ...fs, watch } };
});
vi.mock("node:fs/promises", async (original) => {
  const fs = await original<typeof import("node:fs/promises")>();
  const mkdir = ((...args: Parameters<typeof fs.mkdir>) => {
    const made = fs.mkdir(...args);
    watchers.mkdirs.push(made);
    return made;
  }) as typeof fs.mkdir;
  return { ...fs, mkdir, default: { ...fs, mkdir } };
});

const run = RunIdSchema.parse("r-follow");
let dir: { path: string; remove(): Promise<void> } | undefined;
beforeEach(() => {
  watchers.open.clear();
  watchers.mkdirs.length = 0;
});
afterEach(async () => dir?.remove());

describe("lowdb event store › follow", () => {
  it("closes its watcher when stopped before the watch began", async () => {
    dir = await tempDir();
    const store = new LowdbEventStore(dir.path);
    const abort = new AbortController();
    const following = store.follow(run, { signal: abort.signal })[Symbol.asyncIterator]();
    const first = following.next();
    abort.abort();
    expect((await first).done).toBe(true);
    // The follow made the run's directory to watch it; once that is done, no watcher is open.
    expect(watchers.mkdirs.length).toBeGreaterThan(0);
    await Promise.allSettled(watchers.mkdirs);
    expect(watchers.open.size).toBe(0);
    await store.close();
  });

  it("closes the watcher it opened when stopped later", async () => {
    dir = await tempDir();
    const store = new LowdbEventStore(dir.path);
    const abort = new AbortController();
    const following = store.follow(run, { signal: abort.signal })[Symbol.asyncIterator]();
    const first = following.next();
    await Promise.allSettled(watchers.mkdirs);
    expect(watchers.open.size).toBe(1);
    abort.abort();
    expect((await first).done).toBe(true);
    expect(watchers.open.size).toBe(0);
    await store.close();
  });
});
