import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isPehError } from "../../events/index.js";
import { callPlanner, packetsToPlan } from "../../runtime/planning/external-planner.js";
import { externalPlanner } from "../../runtime/planning/planner.js";

const python = `python3 ${fileURLToPath(new URL("../../examples/planner.py", import.meta.url))}`;

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(isPehError(error, "PLANNER_FAILED"), String(error)).toBe(true);
  return error as Error;
}

describe("external planner", () => {
  it("plans with the Python example over the planning contract, in order", async () => {
    const plan = await externalPlanner(python).decompose("audit the IAM roles", {});
    expect(plan.tasks.map((t) => [t.id, t.depends_on])).toEqual([
      ["task-1", []],
      ["task-2", ["task-1"]],
      ["task-3", ["task-2"]],
    ]);
    expect(plan.tasks.every((t) => t.acceptance_tests.length === 1)).toBe(true);
  });

  it("refines through the planner", async () => {
    const planner = externalPlanner(python);
    const plan = await planner.decompose("audit the IAM roles", {});
    const refined = await planner.refine(plan, "add smoke-test the roles");
    expect(refined.plan.tasks).toHaveLength(4);
  });

  it("reports the planner's own refusal", async () => {
    const error = await failure(externalPlanner(python).refine({ objective: "x", tasks: [] }, "do something else"));
    expect(error.message).toContain('only understands "add');
  });

  it("times out a planner that never answers, and does not hang", async () => {
    const error = await failure(callPlanner({ command: "sleep 30", timeoutMs: 300 }, "decompose", {}));
    expect(error.message).toContain("did not answer within 300 ms");
  });

  it("reports a planner that dies, with what it printed on stderr", async () => {
    const error = await failure(callPlanner({ command: "echo boom >&2; exit 3" }, "decompose", {}));
    expect(error.message).toMatch(/exited \(code 3\).*boom/);
  });

  it("reports an answer that is not JSON or not a response", async () => {
    expect((await failure(callPlanner({ command: "echo hello" }, "decompose", {}))).message).toContain("not JSON");
    expect((await failure(callPlanner({ command: "echo '{\"id\":\"1\"}'" }, "decompose", {}))).message).toContain('without "result" or "error"');
  });

  it("accepts a JSON-RPC 2.0 answer", async () => {
    const command = `echo '{"jsonrpc":"2.0","id":"1","result":[{"objective":"a","scope":"workspace","acceptance_tests":["true"]}]}'`;
    expect(await callPlanner({ command }, "decompose", {})).toHaveLength(1);
  });

  it("validates packets with the plan schemas", () => {
    expect(() => packetsToPlan("x", [{ objective: "a", scope: "galaxy", acceptance_tests: [] }], "p")).toThrow(/scope/);
    expect(() => packetsToPlan("x", [], "p")).toThrow(/do not fit the contract/);
  });
});
