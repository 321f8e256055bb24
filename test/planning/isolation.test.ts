// Planning for isolated work: isolation: worktree needs a git repository (refused at planning time
// otherwise, with the fix), and the built-in planner asks for it in one.
import { describe, expect, it } from "vitest";
import { decompose } from "../../runtime/planning/builtin-planner.js";
import { validatePlan } from "../../runtime/planning/validate.js";
import { planFile } from "../support/fixtures.js";

const tasks = [
  { id: "a", objective: "Write a.txt", scope: "workspace" as const, agent: "write a.txt", acceptance_tests: ["test -f a.txt"] },
  { id: "b", objective: "Write b.txt", scope: "workspace" as const, agent: "write b.txt", acceptance_tests: ["test -f b.txt"], isolation: "worktree" as const },
];
const needsGit = (problems: ReturnType<typeof validatePlan>) => problems.filter((p) => p.code === "ISOLATION_NEEDS_GIT");

describe("planning › isolation: worktree", () => {
  it("is refused outside a git repository, plan-wide and per task, with the fix", () => {
    const problems = needsGit(validatePlan(planFile({ objective: "Write a.txt and b.txt", isolation: "worktree", tasks }), { workspace: "/w/app", git: false }));
    expect(problems.map((p) => [p.severity, p.path, p.task_id])).toEqual([["error", "isolation", undefined], ["error", "tasks[1].isolation", "b"]]);
    expect(problems[0]!.fix).toContain("git init");
  });

  it("is accepted in a git repository, and isolation: none needs none", () => {
    expect(needsGit(validatePlan(planFile({ objective: "Write a.txt and b.txt", isolation: "worktree", tasks }), { workspace: "/w/app", git: true }))).toEqual([]);
    expect(needsGit(validatePlan(planFile({ objective: "Write a.txt", tasks: [tasks[0]!] }), { workspace: "/w/app", git: false }))).toEqual([]);
  });

  it("is what the built-in planner asks for in a git repository, and only there", () => {
    expect(decompose("add dark mode to the dashboard", { git: true }).isolation).toBe("worktree");
    expect(decompose("add dark mode to the dashboard", {}).isolation).toBeUndefined();
  });
});
