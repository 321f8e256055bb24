// The live copy of attempts' logs into a shared store (runtime/execution/process/output-mirror.ts),
// against an in-memory sink kept like peh_output (a chunk per offset, a second one at the same
// offset dropped): output reaches the store while its command runs, in bounded chunks, and a
// chunk whose answer was lost is never kept twice nor leaves a hole.
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutputMirror, type OutputSink } from "../../runtime/execution/process/output-mirror.js";
import { tempDir } from "../support/temp-dir.js";

class MemorySink implements OutputSink {
  readonly chunks = new Map<number, Buffer>();
  /** Saves that land on the server but whose answer is lost, by call number (1-based). */
  lostAnswers = new Set<number>();
  saves = 0;
  private waiters: { bytes: number; resolve: () => void }[] = [];

  async save(_run: string, _worker: string, offset: number, bytes: Buffer): Promise<void> {
    this.saves++;
    if (!this.chunks.has(offset)) this.chunks.set(offset, Buffer.from(bytes));
    this.waiters = this.waiters.filter((waiter) => (this.size_() >= waiter.bytes ? (waiter.resolve(), false) : true));
    if (this.lostAnswers.has(this.saves)) throw new Error("connection lost before the answer");
  }

  async size(): Promise<number> {
    return this.size_();
  }

  private size_(): number {
    return Math.max(0, ...[...this.chunks].map(([at, bytes]) => at + bytes.length));
  }

  /** Resolves once the store holds at least `bytes`. */
  holds(bytes: number): Promise<void> {
    return this.size_() >= bytes ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ bytes, resolve }));
  }

  /** Every byte as a reader joins them: each chunk where the last ended. */
  text(): string {
    let out = "";
    for (const [at, bytes] of [...this.chunks].sort(([a], [b]) => a - b)) {
      expect(at, "a chunk that does not start where the last one ended").toBe(Buffer.byteLength(out));
      out += bytes.toString("utf8");
    }
    return out;
  }
}

describe("the live output mirror", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await dir.remove();
  });

  it("sends a running command's output before the command ends", async () => {
    const sink = new MemorySink();
    const file = join(dir.path, "build#1.log");
    const mirror = new OutputMirror(sink, "r-1", { flushMs: 10 });
    let finish!: () => void;
    const running = mirror.during("build#1", file, () => new Promise<void>((resolve) => (finish = resolve)));
    await writeFile(file, "$ make\nhalf way\n");
    // The command still runs: only the mirror's timer can have sent this.
    await sink.holds(Buffer.byteLength("$ make\nhalf way\n"));
    expect(sink.text()).toBe("$ make\nhalf way\n");
    await appendFile(file, "done\n[exit 0 after 5 ms]\n");
    finish();
    await running;
    await mirror.sync("build#1", file);
    expect(sink.text()).toBe(await readFile(file, "utf8"));
  });

  it("sends a big log in chunks of at most the chunk size, each at its offset", async () => {
    const sink = new MemorySink();
    const file = join(dir.path, "big#1.log");
    const body = Array.from({ length: 5_000 }, (_, i) => `line ${i} ${"x".repeat(40)}\n`).join("");
    await writeFile(file, body);
    const mirror = new OutputMirror(sink, "r-1", { chunk: 16 * 1024 });
    await mirror.sync("big#1", file);
    expect(Math.max(...[...sink.chunks.values()].map((chunk) => chunk.length))).toBeLessThanOrEqual(16 * 1024);
    expect(sink.chunks.size).toBe(Math.ceil(Buffer.byteLength(body) / (16 * 1024)));
    expect(sink.text()).toBe(body);
  });

  it("keeps a chunk whose answer was lost once, and goes on from where the store's copy ends", async () => {
    const sink = new MemorySink();
    sink.lostAnswers.add(3);
    const file = join(dir.path, "flaky#1.log");
    await writeFile(file, "a".repeat(100));
    const mirror = new OutputMirror(sink, "r-1", { chunk: 40 });
    // The last (short) chunk lands but its answer is lost: the copy fails; sent again longer, it must not leave a hole.
    await expect(mirror.sync("flaky#1", file)).rejects.toThrow("connection lost");
    await appendFile(file, "b".repeat(30));
    await mirror.sync("flaky#1", file);
    expect(sink.text()).toBe("a".repeat(100) + "b".repeat(30));
  });

  it("resumes after a crash from the store's copy: a new process sends only what the store lacks", async () => {
    const sink = new MemorySink();
    const file = join(dir.path, "resumed#1.log");
    await writeFile(file, "before the crash\n");
    await new OutputMirror(sink, "r-1").sync("resumed#1", file);
    await appendFile(file, "written after the last copy\n");
    const saves = sink.saves;
    // The process that takes over knows nothing of what was sent.
    await new OutputMirror(sink, "r-1").sync("resumed#1", file);
    expect(sink.saves).toBe(saves + 1);
    expect(sink.text()).toBe("before the crash\nwritten after the last copy\n");
  });

  it("says a failing store once, and the command goes on", async () => {
    const errors: string[] = [];
    let tries = 0;
    let thirdTry!: () => void;
    const triedThrice = new Promise<void>((resolve) => (thirdTry = resolve));
    const sink: OutputSink = {
      save: () => (++tries === 3 && thirdTry(), Promise.reject(new Error("server gone"))),
      size: () => Promise.resolve(0),
    };
    const file = join(dir.path, "gone#1.log");
    await writeFile(file, "output\n");
    const mirror = new OutputMirror(sink, "r-1", { flushMs: 5, onError: (worker, error) => errors.push(`${worker}: ${String(error)}`) });
    // Three rounds fail while the command runs; each one would have been a note.
    const result = await mirror.during("gone#1", file, async () => (await triedThrice, "ran"));
    expect(result).toBe("ran");
    expect(errors).toEqual(["gone#1: Error: server gone"]);
  });
});
