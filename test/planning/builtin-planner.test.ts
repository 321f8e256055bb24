import { describe, expect, it } from "vitest";
import { isPehError } from "../../events/index.js";
import { decompose, refine } from "../../runtime/planning/builtin-planner.js";
import { resolveRisk } from "../../runtime/planning/risk.js";
import { validatePlan } from "../../runtime/planning/validate.js";

const objectives = [
  "add dark mode to the dashboard",
  "release saas-backend 2.4.1",
  "migrate the users table to the new schema",
  "fix the crash when uploading an empty file",
  "audit the IAM roles of the billing account",
];

describe("built-in planner › decompose", () => {
  it.each(objectives)("plans %j in 3 to 7 valid tasks, each with a check", (objective) => {
    const plan = decompose(objective, { test_command: "npm test" });
    expect(plan.tasks.length).toBeGreaterThanOrEqual(3);
    expect(plan.tasks.length).toBeLessThanOrEqual(7);
    for (const task of plan.tasks) expect(task.acceptance_tests.length).toBeGreaterThan(0);
    expect(validatePlan(resolveRisk(plan), { workspace: "/w", strict: true })).toEqual([]);
  });

  it("scopes a step that only writes its note to docs/peh/<slug>, its check naming the note from the workspace root", () => {
    const plan = decompose("audit the IAM roles");
    expect(plan.tasks.map((t) => [t.id, t.scope, t.scope_path])).toEqual([
      ["inventory", "module", "docs/peh/audit-iam-roles"],
      ["check", "module", "docs/peh/audit-iam-roles"],
      ["report", "module", "docs/peh/audit-iam-roles"],
    ]);
    expect(plan.tasks[0]!.acceptance_tests).toEqual(["test -s docs/peh/audit-iam-roles/inventory.md"]);
    const release = decompose("release saas-backend 2.4.1").tasks;
    expect(release.filter((t) => t.scope === "module").map((t) => t.id)).toEqual(["smoke-staging"]);
    expect(release.find((t) => t.id === "build")).toMatchObject({ scope: "workspace" });
  });

    it("is deterministic", () => {
    for (const objective of objectives) expect(decompose(objective)).toEqual(decompose(objective));
  });

  it("marks production deploys and migrations risky", () => {
    expect(decompose("release saas-backend 2.4.1").tasks.filter((t) => t.risky).map((t) => t.id)).toEqual(["deploy-production"]);
    expect(decompose("migrate the users table").tasks.filter((t) => t.risky).map((t) => t.id)).toEqual(["migrate"]);
  });

  // Every task quotes the overall objective for context; risk judges each by its own work.
  const riskOf = (objective: string) => resolveRisk(decompose(objective)).tasks.filter((t) => t.risky).map((t) => [t.id, t.confirm, t.risk_reason]);

  it.each([
    ["release saas-backend 2.4.1 to production", [["deploy-production", "deploy saas-backend 2.4.1 to production", "deploys to production"]]],
    ["Deploy the billing API to prod", [["deploy-production", "deploy the billing API to production", "deploys to production"]]],
    ["migrate the users table to the new schema", [["migrate", "migrate the users table to the new schema", "runs the database migration on the real data"]]],
    ["run the database migration for the orders table", [["migrate", "migrate the orders table", "runs the database migration on the real data"]]],
    ["fix the crash when uploading an empty file", []],
    ["audit the IAM roles of the billing account", []],
    ["add dark mode to the dashboard", []],
  ])("plans %j with only the step that does it risky, with its reason and a phrase that names it", (objective, expected) => {
    expect(riskOf(objective)).toEqual(expected);
  });

  it("still makes the tasks risky when the objective asks for a risky step no task takes on", () => {
    const risky = resolveRisk(decompose("add a nightly job that runs rm -rf /var/cache/app")).tasks.filter((t) => t.risky);
    expect(risky.length).toBeGreaterThan(0);
    for (const task of risky) expect(task.risk_reason).toContain("plan's objective");
  });

  it("uses the detected test command, and a check that fails on purpose without one", () => {
    expect(decompose("add dark mode", { test_command: "make test" }).tasks.flatMap((t) => t.acceptance_tests)).toContain("make test");
    expect(decompose("add dark mode").tasks.flatMap((t) => t.acceptance_tests).join(" ")).toContain("exit 1");
  });

  it("refuses an empty objective", () => {
    expect(() => decompose("  ")).toThrow(/objective is empty/);
  });
});

describe("built-in planner › refine", () => {
  const plan = decompose("add dark mode to the dashboard", { test_command: "npm test" });

  it("skips a task and rewires its dependents", () => {
    const refined = refine(plan, "skip tests");
    expect(refined.plan.tasks.map((t) => t.id)).not.toContain("tests");
    expect(refined.plan.tasks.find((t) => t.id === "implement")?.depends_on).toEqual(["design"]);
    expect(refined.applied).toEqual(["skip tests"]);
  });

  it("moves a task after another by making it depend on it", () => {
    const refined = refine(plan, "move document after verify");
    const ids: string[] = refined.plan.tasks.map((t) => t.id);
    expect(refined.plan.tasks.find((t) => t.id === "document")?.depends_on).toContain("verify" as never);
    expect(ids.indexOf("document")).toBe(ids.indexOf("verify") + 1);
  });

  it("adds a task after the one named", () => {
    const refined = refine(plan, "add write release notes after verify");
    expect(refined.plan.tasks.at(-1)).toMatchObject({ id: "write-release-notes", depends_on: ["verify"] });
  });

  it("applies the edits it understands and adds the rest to every agent task's prompt as reviewer guidance (issue 22)", () => {
    const refined = refine(plan, "skip document; focus on the toggle first");
    expect(refined.applied[0]).toBe("skip document");
    expect(refined.applied[1]).toContain('reviewer guidance "focus on the toggle first"');
    const agents = refined.plan.tasks.filter((task) => task.agent !== undefined);
    expect(agents.length).toBeGreaterThan(0);
    for (const task of agents) expect(task.agent).toMatch(/\n\nReviewer guidance: focus on the toggle first$/);
    expect(refined.ignored).toEqual([]);
  });

  it("refuses free-form feedback for a plan without agent tasks, as it always did", () => {
    const shell = { ...plan, tasks: plan.tasks.map(({ agent: _agent, ...task }) => ({ ...task, run: "true" })) };
    let error: unknown;
    try {
      refine(shell, "focus on the toggle first");
    } catch (caught) {
      error = caught;
    }
    expect(isPehError(error, "USAGE")).toBe(true);
    expect((error as Error).message).toContain("not understood");
  });

  it("refuses feedback it cannot apply at all, saying what it understands", () => {
    let error: unknown;
    try {
      refine(plan, "skip nonexistent");
    } catch (caught) {
      error = caught;
    }
    expect(isPehError(error, "USAGE")).toBe(true);
    expect((error as Error).message).toContain('no task "nonexistent"');
    expect((error as { hint?: string }).hint).toContain("move ID before|after ID");
  });
});
