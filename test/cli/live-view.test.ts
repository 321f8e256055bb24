import { describe, expect, it } from "vitest";
import type { Io } from "../../cli/output.js";
import { LiveView } from "../../cli/render/live.js";

/** A terminal that records what was printed and what was drawn in place, and a clock we move. */
function terminal() {
  const writes: string[] = [];
  const io: Io = { out: (t) => writes.push(`out:${t}`), err: (t) => writes.push(`err:${t}`), color: false, live: (t) => writes.push(`live:${t}`), document: () => undefined, line: () => undefined };
  let now = 0;
  return { io, writes, clock: () => now, advance: (ms: number) => (now += ms) };
}

describe("peh run › live view", () => {
  it("keeps one status line of the running tasks below the permanent lines, and removes it at the end", () => {
    const t = terminal();
    const view = new LiveView(t.io, t.clock);
    view.show({ kind: "started", index: 1, total: 3, task: "build", attempt: 1 });
    t.advance(1500);
    view.show({ kind: "started", index: 2, total: 3, task: "lint", attempt: 2 });
    t.advance(500);
    expect(view.status()).toBe("▸ running build 2.0s · lint (attempt 2) 0.5s (0/3 done)");

    t.writes.length = 0;
    view.show({ kind: "task", index: 1, total: 3, task: "build", ok: true, seconds: 2, retry: false });
    // The status line is cleared, the permanent line printed, the status redrawn without build.
    expect(t.writes[0]).toBe("live:\r\x1b[2K");
    expect(t.writes[1]).toBe("out:[Task 1/3] ✓ build: 2.0s");
    expect(t.writes[2]).toMatch(/^live:\r\x1b\[2K▸ running lint \(attempt 2\) 0\.5s \(1\/3 done\)$/);

    view.show({ kind: "task", index: 2, total: 3, task: "lint", ok: false, seconds: 1, detail: "exit 1 (logic_error)", retry: true });
    // Nothing runs any more: the status line was cleared before the last line and is not redrawn.
    expect(t.writes.slice(-2)).toEqual(["live:\r\x1b[2K", "out:[Task 2/3 RETRY] ✗ lint: exit 1 (logic_error)"]);
    view.stop();
    expect(t.writes.filter((w) => w.startsWith("out:"))).toEqual(["out:[Task 1/3] ✓ build: 2.0s", "out:[Task 2/3 RETRY] ✗ lint: exit 1 (logic_error)"]);
  });

  it("counts a task once: a failure that a retry fixes becomes a success", () => {
    const t = terminal();
    const view = new LiveView(t.io, t.clock);
    view.show({ kind: "started", index: 1, total: 2, task: "fetch", attempt: 1 });
    view.show({ kind: "task", index: 1, total: 2, task: "fetch", ok: false, seconds: 0.1, detail: "exit 1 (transient)", retry: false });
    view.show({ kind: "started", index: 1, total: 2, task: "fetch", attempt: 2 });
    expect(view.status()).toBe("▸ running fetch (attempt 2) 0.0s (1/2 done, 1 failed)");
    view.show({ kind: "task", index: 1, total: 2, task: "fetch", ok: true, seconds: 0.1, retry: true });
    view.show({ kind: "started", index: 2, total: 2, task: "build", attempt: 1 });
    expect(view.status()).toBe("▸ running build 0.0s (1/2 done)");
    view.stop();
  });

  it("fits the status line to the terminal's width", () => {
    const t = terminal();
    const view = new LiveView(t.io, t.clock);
    for (const task of ["compile-the-frontend", "compile-the-backend", "run-the-migrations"]) view.show({ kind: "started", index: 1, total: 9, task, attempt: 1 });
    expect(view.status(60).length).toBeLessThanOrEqual(60);
    expect(view.status(60)).toMatch(/…\s\(0\/9 done\)$/);
    view.stop();
  });

  it("draws nothing in place off a terminal: only the plain lines", () => {
    const writes: string[] = [];
    const view = new LiveView({ out: (t) => writes.push(t), err: () => undefined, color: false, document: () => undefined, line: () => undefined });
    view.show({ kind: "started", index: 1, total: 1, task: "build", attempt: 1 });
    view.show({ kind: "task", index: 1, total: 1, task: "build", ok: true, seconds: 0.1, retry: false });
    view.stop();
    expect(writes).toEqual(["[Task 1/1] ✓ build: 0.1s"]);
  });
});
