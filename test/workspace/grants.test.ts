import { describe, expect, it } from "vitest";
import type { RiskyTask, TaskId } from "../../events/index.js";
import { AgentGrantsSchema, grantsOf } from "../../runtime/workspace/grants.js";
import { UserConfigSchema } from "../../runtime/execution/trust/trust.js";

const place = { workspace: "/w/app", home: "/home/ana" };
const id = "fetch" as TaskId;
const task = { id, network: true, writable: ["out", "/tmp/cache"] };
const approved = (grants: RiskyTask["grants"]) => ({ granted: grants === undefined ? [] : [{ task_id: id, phrase: "fetch", grants }] });
const NONE = { network: false, writable: [], sandbox: "on" };

describe("grantsOf › a task's own request", () => {
  it("gives what the task asks for and a human confirmed, to every command of the task, relative paths in the workspace", () => {
    for (const kind of ["run", "agent", "acceptance_test"] as const) {
      expect(grantsOf(task, approved({ network: true, writable: ["/tmp/cache", "out"] }), undefined, kind, place)).toEqual({
        network: true,
        writable: ["/tmp/cache", "/w/app/out"],
        sandbox: "on",
      });
    }
  });

  it("gives nothing that was not confirmed, whatever the plan asks for now", () => {
    expect(grantsOf(task, approved(undefined), undefined, "run", place)).toEqual(NONE);
    expect(grantsOf({ ...task, sandbox: "off" }, approved({ writable: ["out"] }), undefined, "run", place)).toEqual({ network: false, writable: ["/w/app/out"], sandbox: "on" });
  });

  it("gives what was narrowed since the approval, not what the approval had", () => {
    expect(grantsOf({ id, writable: ["out/sub"] }, approved({ network: true, writable: ["out"], sandbox: "off" }), undefined, "run", place)).toEqual({
      network: false,
      writable: ["/w/app/out/sub"],
      sandbox: "on",
    });
  });

  it("runs without the sandbox only when that was asked for and confirmed", () => {
    expect(grantsOf({ id, sandbox: "off" }, approved({ sandbox: "off" }), undefined, "acceptance_test", place).sandbox).toBe("off");
  });
});

describe("grantsOf › the user's agent.grants", () => {
  const agent = AgentGrantsSchema.parse({ network: true, writable: ["~/.claude", "/opt/agent/state"] });

  it("are given to the agent command, ~ as the user's home", () => {
    expect(grantsOf({ id }, approved(undefined), agent, "agent", place)).toEqual({ network: true, writable: ["/home/ana/.claude", "/opt/agent/state"], sandbox: "on" });
  });

  it("are never given to the task's run or its acceptance tests", () => {
    expect(grantsOf({ id }, approved(undefined), agent, "run", place)).toEqual(NONE);
    expect(grantsOf({ id }, approved(undefined), agent, "acceptance_test", place)).toEqual(NONE);
  });

  it("are read from agent.grants of the user config, which refuses relative paths and unknown keys", () => {
    expect(UserConfigSchema.parse({ agent: { command: "claude -p", grants: { network: true } } }).agent.grants).toEqual({ network: true, writable: [] });
    expect(UserConfigSchema.safeParse({ agent: { grants: { writable: ["relative/dir"] } } }).success).toBe(false);
    expect(UserConfigSchema.safeParse({ agent: { grants: { sandbox: "off" } } }).success).toBe(false);
  });
});
