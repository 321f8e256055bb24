import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { RunIdSchema, deepFreeze, isPehError } from "../../events/index.js";
import { syntheticLog } from "../../bench/synthetic.js";
import { storeEvents } from "../support/store-events.js";
import { tempDir } from "../support/temp-dir.js";
import { describeEventStore } from "./conformance.js";

describeEventStore("lowdb", async () => {
  const dir = await tempDir();
  return { store: new LowdbEventStore(dir.path), reopen: () => new LowdbEventStore(dir.path), cleanup: dir.remove };
});

const run = RunIdSchema.parse("r-durable");
const logFile = (dir: string) => join(dir, "runs", run, "events.jsonl");

describe("deepFreeze", () => {
  it("freezes every object and array inside, however deep", () => {
    const value = deepFreeze({ plan: { tasks: [{ id: "a", depends_on: ["b"] }] }, list: [[1], { x: 2 }] });
    const inner = [value, value.plan, value.plan.tasks, value.plan.tasks[0], value.plan.tasks[0]!.depends_on, value.list, value.list[0], value.list[1]];
    expect(inner.every((part) => Object.isFrozen(part))).toBe(true);
  });
});

describe("lowdb event store › on disk", () => {
  it("lets the run's lock go behind an append's answer: a second store appends next, and none is left once both are closed", async () => {
    const dir = await tempDir();
    const lock = join(dir.path, "runs", run, "events.lock");
    const [one, two] = [new LowdbEventStore(dir.path), new LowdbEventStore(dir.path)];
    try {
      await one.append(run, storeEvents(run, 1, 2), 0);
      await two.append(run, storeEvents(run, 3, 2), 2); // waits for the first store's lock if it is still there
      await one.append(run, storeEvents(run, 5, 1), 4);
      await Promise.all([one.close(), two.close()]);
      expect(existsSync(lock)).toBe(false);
      expect((await new LowdbEventStore(dir.path).read(run)).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await dir.remove();
    }
  });

  it("keeps one JSON line per event in the run's own file", async () => {
    const dir = await tempDir();
    try {
      await new LowdbEventStore(dir.path).append(run, storeEvents(run, 1, 3), 0);
      const lines = (await readFile(logFile(dir.path), "utf8")).trimEnd().split("\n");
      expect(lines.map((line) => JSON.parse(line).seq)).toEqual([1, 2, 3]);
    } finally {
      await dir.remove();
    }
  });

  it("lists a run with the times of its first and last events, however the first line orders its fields", async () => {
    const dir = await tempDir();
    try {
      const events = storeEvents(run, 1, 3);
      await new LowdbEventStore(dir.path).append(run, events, 0);
      const expected = [{ run_id: run, events: 3, created_at: events[0]!.at, updated_at: events[2]!.at }];
      expect(await new LowdbEventStore(dir.path).listRuns()).toEqual(expected);
      // Written by another tool with the data first: the listing reads the whole first line instead.
      const { data, ...envelope } = events[0]!;
      const lines = (await readFile(logFile(dir.path), "utf8")).split("\n");
      lines[0] = JSON.stringify({ data, ...envelope });
      await writeFile(logFile(dir.path), lines.join("\n"));
      expect(await new LowdbEventStore(dir.path).listRuns()).toEqual(expected);
    } finally {
      await dir.remove();
    }
  });

  it("reads a run's first event alone when its line fits in the bytes given, and nothing otherwise", async () => {
    const dir = await tempDir();
    try {
      const store = new LowdbEventStore(dir.path);
      await store.append(run, storeEvents(run, 1, 3), 0);
      const line = (await readFile(logFile(dir.path), "utf8")).split("\n")[0]!;
      expect(await store.readFirst(run, line.length)).toMatchObject({ seq: 1, id: (await store.read(run))[0]!.id });
      expect(await store.readFirst(run, line.length - 1)).toBeUndefined();
      expect(await store.readFirst(RunIdSchema.parse("r-none"), 1024)).toBeUndefined();
      // A first line longer than one read (a plan of 1,000 tasks) is read whole, past the chunks.
      const big = syntheticLog(1000, RunIdSchema.parse("r-big")).slice(0, 2);
      await store.append(RunIdSchema.parse("r-big"), big, 0);
      expect(JSON.stringify(big[0]).length).toBeGreaterThan(64 * 1024);
      expect((await store.readFirst(RunIdSchema.parse("r-big"), 1024 * 1024))?.data).toEqual(big[0]!.data);
      // A first line torn by a crash is no event yet.
      await writeFile(logFile(dir.path), line.slice(0, 20));
      expect(await new LowdbEventStore(dir.path).readFirst(run, 1024)).toBeUndefined();
    } finally {
      await dir.remove();
    }
  });

  it("drops a torn last line on open, and cuts it before the next append", async () => {
    const dir = await tempDir();
    try {
      await new LowdbEventStore(dir.path).append(run, storeEvents(run, 1, 3), 0);
      const torn = JSON.stringify(storeEvents(run, 4, 1)[0]).slice(0, 40);
      await appendFile(logFile(dir.path), torn);
      const reopened = new LowdbEventStore(dir.path);
      expect(await reopened.version(run)).toBe(3);
      await reopened.append(run, storeEvents(run, 4, 1), 3);
      const text = await readFile(logFile(dir.path), "utf8");
      expect(text.includes(torn + "\n")).toBe(false);
      expect((await new LowdbEventStore(dir.path).read(run)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    } finally {
      await dir.remove();
    }
  });

  /** What reading a three-event log gives once its second line is `line` instead. */
  async function readWithSecondLine(line: string): Promise<unknown> {
    const dir = await tempDir();
    try {
      await new LowdbEventStore(dir.path).append(run, storeEvents(run, 1, 3), 0);
      const lines = (await readFile(logFile(dir.path), "utf8")).split("\n");
      lines[1] = line;
      await writeFile(logFile(dir.path), lines.join("\n"));
      return await new LowdbEventStore(dir.path).read(run).catch((caught: unknown) => caught);
    } finally {
      await dir.remove();
    }
  }

  it("reports a damaged line in the middle as corruption, naming the file and seq", async () => {
    const error = await readWithSecondLine("{not json");
    expect(isPehError(error, "STORE_CORRUPT")).toBe(true);
    expect((error as Error).message).toMatch(/events\.jsonl.*seq 2/);
  });

  it("says in a few words when a line is JSON but no event peh knows", async () => {
    const error = await readWithSecondLine('{"garbage": true}');
    expect(isPehError(error, "STORE_CORRUPT")).toBe(true);
    expect((error as Error).message).toMatch(/the line for seq 2 is not a valid event \(it has no type peh knows: undefined\)$/);
  });
});

const worker = fileURLToPath(new URL("../support/append-worker.mjs", import.meta.url));

/** Starts one appending process per tag, releases them together, and collects their results. */
async function race(dir: string, mode: "once" | "loop", count: number, tags: string[]) {
  const children = tags.map((tag) => {
    const child = spawn(process.execPath, [worker, dir, run, mode, String(count), tag], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout });
    const next = () => new Promise<string>((resolve) => lines.once("line", resolve));
    return { child, next, ready: next() };
  });
  await Promise.all(children.map((c) => c.ready));
  const results = children.map((c) => c.next());
  for (const c of children) c.child.stdin.end("go\n");
  return (await Promise.all(results)).map((line) => JSON.parse(line) as { ok: number; conflicts: number; errors: string[] });
}

describe("lowdb event store › two processes", () => {
  it("lets exactly one of two processes appending at version 0 win; the other gets a conflict", async () => {
    const dir = await tempDir();
    try {
      const results = await race(dir.path, "once", 1, ["a", "b"]);
      expect(results.map((r) => r.errors)).toEqual([[], []]);
      expect(results.reduce((sum, r) => sum + r.ok, 0)).toBe(1);
      expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBe(1);
      expect(await new LowdbEventStore(dir.path).version(run)).toBe(1);
    } finally {
      await dir.remove();
    }
  });

  it("loses no event when two processes append 150 each, retrying on conflict", async () => {
    const dir = await tempDir();
    try {
      const results = await race(dir.path, "loop", 150, ["a", "b"]);
      expect(results.map((r) => [r.ok, r.errors])).toEqual([
        [150, []],
        [150, []],
      ]);
      const events = await new LowdbEventStore(dir.path).read(run);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      for (const tag of ["a", "b"]) {
        const mine = events.filter((e) => e.actor.startsWith(`${tag}-`)).map((e) => e.actor);
        expect(mine).toEqual(Array.from({ length: 150 }, (_, n) => `${tag}-${n}`));
      }
    } finally {
      await dir.remove();
    }
  });
});
