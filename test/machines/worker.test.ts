import { describe, expect, it } from "vitest";
import { initialTransition, transition } from "xstate";
import { WorkerIdSchema, type TaskId } from "../../events/index.js";
import { workerMachine } from "../../machines/worker.js";
import { ev } from "../support/events.js";

const worker_id = WorkerIdSchema.parse("build#1");
const task_id = "build" as TaskId;
const start = () => initialTransition(workerMachine, { worker_id, task_id, attempt: 1, cwd: "/w/app" })[0];
const id = { worker_id, task_id };
const allowlisted = ev("WORKER_TRUST_RESOLVED", { ...id, resolution: { source: "allowlist", root: "/w/app" } });

function walk(...events: Parameters<typeof transition<typeof workerMachine>>[2][]) {
  return events.reduce((snapshot, event) => transition(workerMachine, snapshot, event)[0], start());
}

describe("worker machine › when spawning", () => {
  it("starts in spawning", () => {
    expect(start().value).toBe("spawning");
  });

  it("moves to trust_required and asks the runtime to check trust", () => {
    const [next, actions] = transition(workerMachine, start(), ev("WORKER_TRUST_REQUIRED", { ...id, cwd: "/w/app" }));
    expect(next.value).toBe("trust_required");
    expect(actions.map((a) => a.type)).toContain("checkTrust");
  });

  it("cannot become ready for a prompt without passing trust", () => {
    expect(start().can(ev("WORKER_READY", id))).toBe(false);
    expect(start().can(allowlisted)).toBe(false);
  });
});

describe("worker machine › when trust is required", () => {
  const required = () => walk(ev("WORKER_TRUST_REQUIRED", { ...id, cwd: "/w/app" }));

  it("records how trust was resolved", () => {
    const [next] = transition(workerMachine, required(), allowlisted);
    expect(next.value).toBe("trust_resolved");
    expect(next.context.trust).toEqual({ source: "allowlist", root: "/w/app" });
  });

  it("does not accept ready before trust is resolved", () => {
    expect(required().can(ev("WORKER_READY", id))).toBe(false);
  });

  it("may fail while waiting", () => {
    const [next] = transition(workerMachine, required(), ev("WORKER_FAILED", { ...id, error: { code: "X", message: "gone" } }));
    expect(next.value).toBe("failed");
    expect(next.status).toBe("done");
  });
});

describe("worker machine › after trust", () => {
  const resolved = () => walk(ev("WORKER_TRUST_REQUIRED", { ...id, cwd: "/w/app" }), allowlisted);

  it("goes ready_for_prompt → running → finished and asks for the prompt on the way", () => {
    const [ready, readyActions] = transition(workerMachine, resolved(), ev("WORKER_READY", id));
    expect(ready.value).toBe("ready_for_prompt");
    expect(readyActions.map((a) => a.type)).toContain("sendPrompt");
    const running = transition(workerMachine, ready, ev("WORKER_RUNNING", { ...id, pid: 10 }))[0];
    expect(running.value).toBe("running");
    const finished = transition(workerMachine, running, ev("WORKER_FINISHED", { ...id, exit_code: 0 }))[0];
    expect(finished.value).toBe("finished");
    expect(finished.status).toBe("done");
  });
});

describe("worker machine › when finished", () => {
  it("is final: no event moves it", () => {
    const finished = walk(
      ev("WORKER_TRUST_REQUIRED", { ...id, cwd: "/w/app" }),
      allowlisted,
      ev("WORKER_READY", id),
      ev("WORKER_RUNNING", id),
      ev("WORKER_FINISHED", { ...id, exit_code: 0 }),
    );
    expect(finished.can(ev("WORKER_FAILED", { ...id, error: { code: "X", message: "late" } }))).toBe(false);
    expect(finished.can(ev("WORKER_RUNNING", id))).toBe(false);
  });
});
