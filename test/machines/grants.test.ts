import { describe, expect, it } from "vitest";
import type { RiskyTask, TaskId } from "../../events/index.js";
import { grantWords, intersect, normalPath, pathWithin, requestedGrants, unconfirmedRisky, widening } from "../../machines/grants.js";
import { riskyTasksOf } from "../../machines/plan.js";
import { diamond, planFile } from "../support/fixtures.js";

describe("grants › normal form", () => {
  it("normalizes writable paths lexically, relative ones relative to the workspace", () => {
    expect(normalPath("/a//b/./c/")).toBe("/a/b/c");
    expect(normalPath("./x/../y")).toBe("y");
    expect(normalPath("./")).toBe(".");
    expect(normalPath("../cache")).toBe("../cache");
    expect(normalPath("/../etc")).toBe("/etc");
  });

  it("holds a path below another component by component, never across relative and absolute", () => {
    expect(pathWithin("/w/app", "/w/app/out")).toBe(true);
    expect(pathWithin("/w/app", "/w/app-evil")).toBe(false);
    expect(pathWithin("/", "/anything")).toBe(true);
    expect(pathWithin(".", "out")).toBe(true);
    expect(pathWithin(".", "../out")).toBe(false);
    expect(pathWithin("out", "/w/app/out")).toBe(false);
  });

  it("asks for nothing with network: false and writable: []", () => {
    expect(requestedGrants({ network: false, writable: [] })).toBeUndefined();
    expect(requestedGrants({ network: true, writable: ["./out/", "/tmp/cache", "out"], sandbox: "off" })).toEqual({
      network: true,
      writable: ["/tmp/cache", "out"],
      sandbox: "off",
    });
  });

  it("says each right in words", () => {
    expect(grantWords({ network: true, writable: ["/x", "y"], sandbox: "off" })).toEqual([
      "asks for the network",
      "asks to write outside its scope: /x, y",
      "asks to run without the sandbox",
    ]);
  });
});

describe("grants › comparing versions", () => {
  it("finds what a request adds: the network, a path no granted path holds, the sandbox off", () => {
    expect(widening({ network: true, writable: ["/x"] }, { network: true, writable: ["/x/y"] })).toBeUndefined();
    expect(widening({ writable: ["/x"] }, { network: true, writable: ["/x", "/z"] })).toEqual({ network: true, writable: ["/z"] });
    expect(widening(undefined, { sandbox: "off" })).toEqual({ sandbox: "off" });
  });

  it("keeps of a request only what was granted", () => {
    expect(intersect({ writable: ["/x"] }, { network: true, writable: ["/x/y", "/z"], sandbox: "off" })).toEqual({ writable: ["/x/y"] });
    expect(intersect(undefined, { network: true })).toBeUndefined();
  });

  it("counts a task that asks for a grant as risky whatever its risky flag says, with what it asks", () => {
    const plan = planFile({ ...diamond, tasks: [...diamond.tasks.slice(0, 3), { ...diamond.tasks[3]!, risky: false, confirm: undefined, network: true }] });
    expect(riskyTasksOf(plan)).toEqual([{ task_id: "deploy", phrase: "deploy", grants: { network: true } }]);
  });

  it("needs a phrase again for a task confirmed before when its grants widen, not when they narrow", () => {
    const id = "fetch" as TaskId;
    const granted: RiskyTask[] = [{ task_id: id, phrase: "fetch", grants: { network: true, writable: ["/x"] } }];
    expect(unconfirmedRisky(granted, [{ task_id: id, phrase: "fetch", grants: { writable: ["/x"] } }])).toEqual([]);
    expect(unconfirmedRisky(granted, [{ task_id: id, phrase: "fetch", grants: { network: true, writable: ["/x", "/y"] } }])).toHaveLength(1);
    expect(unconfirmedRisky(granted, [{ task_id: id, phrase: "fetch", grants: { network: true, sandbox: "off" } }])).toHaveLength(1);
    // A task that was risky for another reason, approved without grants, then asks for one.
    expect(unconfirmedRisky([{ task_id: id, phrase: "fetch" }], [{ task_id: id, phrase: "fetch", grants: { network: true } }])).toHaveLength(1);
  });
});
