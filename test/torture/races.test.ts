// Races of two writer processes on one run, many times over: two long-lived processes append at
// version 0 to a fresh run each round, released together. Exactly one wins each round, the other
// gets APPEND_CONFLICT, and the run holds exactly the winner's event: none lost, none doubled.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LowdbEventStore } from "../../events/adapters.js";
import { RunIdSchema } from "../../events/index.js";
import { tempDir } from "../support/temp-dir.js";
import { scale, summary } from "./scale.js";

const worker = fileURLToPath(new URL("../support/append-worker.mjs", import.meta.url));

function writer(dir: string, rounds: number, tag: string) {
  const child = spawn(process.execPath, [worker, dir, "r-race", "rounds", String(rounds), tag], { stdio: ["pipe", "pipe", "inherit"] });
  const queue: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  const next = () => new Promise<string>((resolve) => (queue.length ? resolve(queue.shift()!) : waiters.push(resolve)));
  return { next, go: () => child.stdin.write("go\n"), exit: new Promise((resolve) => child.on("close", resolve)) };
}

describe("torture › writer races", () => {
  const rounds = scale(1_000, 60);
  it(`${rounds} races of two writers on one run: exactly one winner each, no event lost or doubled`, { timeout: 1_800_000 }, async () => {
    const dir = await tempDir();
    try {
      const writers = [writer(dir.path, rounds, "a"), writer(dir.path, rounds, "b")];
      const store = new LowdbEventStore(dir.path);
      let clean = 0;
      for (let round = 0; round < rounds; round++) {
        expect(await Promise.all(writers.map((w) => w.next()))).toEqual(["ready", "ready"]);
        for (const w of writers) w.go();
        const results = (await Promise.all(writers.map((w) => w.next()))).map((line) => JSON.parse(line) as { ok: number; conflicts: number; errors: string[] });
        expect(results.flatMap((r) => r.errors), `round ${round}`).toEqual([]);
        expect(results.map((r) => r.ok + r.conflicts)).toEqual([1, 1]);
        expect(results.reduce((sum, r) => sum + r.ok, 0), `round ${round}: winners`).toBe(1);
        const events = await store.read(RunIdSchema.parse(`r-race-${round}`));
        expect(events.map((e) => e.seq)).toEqual([1]);
        expect(events[0]!.actor).toBe(`${results[0]!.ok ? "a" : "b"}-${round}`);
        clean++;
      }
      await Promise.all(writers.map((w) => w.exit));
      summary(`writer races: ${clean}/${rounds} with exactly one winner, no event lost or doubled`);
    } finally {
      await dir.remove();
    }
  });
});
