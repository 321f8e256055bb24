import { mkdir, symlink } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PlanFileInput } from "../../events/index.js";
import { parsePlanSource } from "../../runtime/planning/plan-file.js";
import { isInside, isVague, validatePlan } from "../../runtime/planning/validate.js";
import { planFile } from "../support/fixtures.js";
import { tempDir } from "../support/temp-dir.js";

const task = (id: string, extra: Partial<PlanFileInput["tasks"][number]> = {}) => ({
  id,
  objective: `Build ${id}.js`,
  scope: "workspace" as const,
  acceptance_tests: [`test -f ${id}.js`],
  ...extra,
});
const plan = (...tasks: PlanFileInput["tasks"]) => planFile({ objective: "Ship app.js to the CDN", tasks });
const codes = (problems: { code: string }[]) => problems.map((p) => p.code).sort();
const W = { workspace: "/w/app" };

describe("plan validation › a good plan", () => {
  it("has no problems", () => {
    expect(validatePlan(plan(task("a"), task("b", { depends_on: ["a"] }), task("c", { depends_on: ["b"] })), W)).toEqual([]);
  });
});

describe("plan validation › errors", () => {
  it("reports a duplicate id at the second occurrence", () => {
    const problems = validatePlan(plan(task("a"), task("b"), task("a")), W);
    expect(problems).toContainEqual(expect.objectContaining({ code: "DUPLICATE_ID", task_id: "a", path: "tasks[2].id", severity: "error" }));
  });

  it("reports an unknown dependency with a did-you-mean", () => {
    const problems = validatePlan(plan(task("build"), task("test", { depends_on: ["biuld"] }), task("c")), W);
    const problem = problems.find((p) => p.code === "UNKNOWN_DEPENDENCY");
    expect(problem).toMatchObject({ task_id: "test", path: "tasks[1].depends_on[0]" });
    expect(problem?.fix).toContain('"build"');
  });

  it("prints a cycle as its path", () => {
    const problems = validatePlan(plan(task("a", { depends_on: ["c"] }), task("b", { depends_on: ["a"] }), task("c", { depends_on: ["b"] })), W);
    expect(problems.find((p) => p.code === "CYCLE")?.message).toContain("a → c → b → a");
  });

  it("reports a task that depends on itself", () => {
    const problems = validatePlan(plan(task("a", { depends_on: ["a"] }), task("b"), task("c")), W);
    expect(problems.find((p) => p.code === "CYCLE")?.message).toContain("a → a");
  });

  it("wants a pass/fail check: acceptance tests or a run command", () => {
    const problems = validatePlan(plan(task("a", { acceptance_tests: [] }), task("b", { acceptance_tests: [], run: "make" }), task("c")), W);
    expect(problems.filter((p) => p.code === "NO_CHECK").map((p) => p.task_id)).toEqual(["a"]);
  });

  it("refuses a timeout of zero, which would leave the task no time (or, as it was read, no limit)", () => {
    const problems = validatePlan(plan(task("a", { timeout: "0s" }), task("b", { timeout: "00ms" }), task("c", { timeout: "10m" })), W);
    expect(problems.filter((p) => p.code === "SCHEMA").map((p) => [p.severity, p.path, p.task_id])).toEqual([
      ["error", "tasks[0].timeout", "a"],
      ["error", "tasks[1].timeout", "b"],
    ]);
    expect(problems[0]?.fix).toContain("leave timeout out");
  });

  it("refuses any duration longer than peh allows (365d)", () => {
    const problems = validatePlan(
      planFile({
        objective: "Ship app.js to the CDN",
        recovery: { transient: { delays: ["5s", "400d"] } },
        tasks: [
          task("a", { timeout: "8761h" }),
          task("b", { recovery: { unknown: { action: "retry", delays: ["9999999h"] } } }),
          task("c", { timeout: "1h30m", recovery: { transient: { delays: ["2m30s", "1d"] } } }),
        ],
      }),
      W,
    );
    expect(problems.filter((p) => p.code === "SCHEMA").map((p) => [p.severity, p.path, p.task_id])).toEqual([
      ["error", "recovery.transient.delays[1]", undefined],
      ["error", "tasks[0].timeout", "a"],
      ["error", "tasks[1].recovery.unknown.delays[0]", "b"],
    ]);
    expect(problems.find((p) => p.path === "tasks[0].timeout")?.message).toBe('task "a": a timeout of 8761h is longer than peh allows (365d)');
  });

  it("refuses a NUL byte in a command or a scope path, naming the field", () => {
    const problems = validatePlan(
      plan(task("a", { run: "echo a\0b" }), task("b", { acceptance_tests: ["true", "test -f x\0"] }), task("c", { scope: "module", scope_path: "src\0" })),
      W,
    );
    expect(problems.filter((p) => p.code === "SCHEMA").map((p) => [p.severity, p.path])).toEqual([
      ["error", "tasks[0].run"],
      ["error", "tasks[1].acceptance_tests[1]"],
      ["error", "tasks[2].scope_path"],
    ]);
  });

  it("refuses scope paths that leave the workspace: .., absolute, missing", () => {
    const problems = validatePlan(
      plan(
        task("up", { scope: "module", scope_path: "../other" }),
        task("abs", { scope: "module", scope_path: "/etc" }),
        task("none", { scope: "single_file" }),
        task("ok", { scope: "module", scope_path: "src/../lib" }),
      ),
      W,
    );
    expect(problems.filter((p) => p.severity === "error").map((p) => [p.code, p.task_id])).toEqual([
      ["SCOPE_ESCAPE", "up"],
      ["SCOPE_ESCAPE", "abs"],
      ["SCOPE_PATH_MISSING", "none"],
    ]);
  });

  it("refuses a scope path that escapes through a symlink", async () => {
    const dir = await tempDir();
    try {
      const workspace = join(dir.path, "app");
      await mkdir(join(workspace, "src"), { recursive: true });
      await mkdir(join(dir.path, "app-evil"));
      await symlink(join(dir.path, "app-evil"), join(workspace, "evil"));
      const realpath = (path: string) => {
        try {
          return realpathSync(path);
        } catch {
          return undefined;
        }
      };
      const problems = validatePlan(plan(task("in", { scope: "module", scope_path: "src" }), task("out", { scope: "module", scope_path: "evil" }), task("c")), { workspace, realpath });
      expect(problems.map((p) => [p.code, p.task_id])).toEqual([["SCOPE_ESCAPE", "out"]]);
    } finally {
      await dir.remove();
    }
  });

  it("compares roots component by component", () => {
    expect(isInside("/w/app", "/w/app/src")).toBe(true);
    expect(isInside("/w/app", "/w/app")).toBe(true);
    expect(isInside("/w/app", "/w/app-evil")).toBe(false);
    expect(isInside("/w/app", "/w")).toBe(false);
  });

  it("reports every problem at once", () => {
    const problems = validatePlan(
      plan(task("a", { depends_on: ["x"] }), task("a"), task("b", { acceptance_tests: [], scope: "module", scope_path: "../up" })),
      W,
    );
    expect(codes(problems)).toEqual(["DUPLICATE_ID", "NO_CHECK", "SCOPE_ESCAPE", "UNKNOWN_DEPENDENCY"]);
    for (const problem of problems) expect(problem.fix.length).toBeGreaterThan(10);
  });

  it("lists the problems task by task, the plan's own first and cycles last", () => {
    const problems = validatePlan(
      planFile({
        objective: "Improve things",
        tasks: [task("a", { depends_on: ["x", "c"], acceptance_tests: [] }), task("b", { objective: "Improve it" }), task("c", { depends_on: ["a"] }), task("b")],
      }),
      W,
    );
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ["VAGUE_OBJECTIVE", "objective"],
      ["NO_CHECK", "tasks[0]"],
      ["UNKNOWN_DEPENDENCY", "tasks[0].depends_on[0]"],
      ["VAGUE_OBJECTIVE", "tasks[1].objective"],
      ["DUPLICATE_ID", "tasks[3].id"],
      ["CYCLE", "tasks[0].depends_on"],
    ]);
  });
});

describe("plan validation › warnings, errors with --strict", () => {
  it("refuses a plan with no tasks at all: there would be nothing to approve or run", () => {
    const problems = validatePlan(plan(), W);
    expect(problems).toEqual([expect.objectContaining({ severity: "error", code: "TASK_COUNT", message: "the plan has no tasks: there is nothing to approve or run" })]);
  });

  it("warns about fewer than 3 or more than 7 tasks", () => {
    expect(validatePlan(plan(task("a"), task("b")), W)).toEqual([expect.objectContaining({ code: "TASK_COUNT", severity: "warning" })]);
    const eight = plan(...Array.from({ length: 8 }, (_, i) => task(`t${i}`)));
    expect(validatePlan(eight, { ...W, strict: true })).toEqual([expect.objectContaining({ code: "TASK_COUNT", severity: "error" })]);
  });

  it.each([
    ["optimize", true],
    ["improve performance", true],
    ["clean up the code", true],
    ["optimize the database queries", true],
    ["fix the crash when uploading an empty file", false],
    ["fix the login bug in src/auth/login.ts", false],
    ["improve p95 latency of /search below 200ms", false],
    ["Compile TypeScript to dist/", false],
  ])("calls %j vague: %s", (objective, vague) => {
    expect(isVague(objective)).toBe(vague);
  });
});

describe("plan file › locations", () => {
  it("points schema violations at the field's line", () => {
    const loaded = parsePlanSource("objective: Ship it\ntasks:\n  - id: a\n    objective: Build a.js\n    scope: galaxy\n");
    expect(loaded.plan).toBeUndefined();
    expect(loaded.problems).toEqual([expect.objectContaining({ code: "SCHEMA", line: 5, path: "tasks[0].scope", task_id: "a" })]);
  });

  it("refuses a field it does not know, with a did-you-mean, so a typo never drops a dependency", () => {
    const source = "objective: Ship it\nobjectiv: typo\ntasks:\n  - id: a\n    objective: Build a.js\n    scope: workspace\n    run: make\n  - id: b\n    objective: Build b.js\n    scope: workspace\n    run: make\n    depend_on: [a]\n    owner: ana\n";
    const loaded = parsePlanSource(source);
    expect(loaded.plan).toBeUndefined();
    expect(loaded.problems).toEqual([
      expect.objectContaining({ severity: "error", code: "SCHEMA", path: "objectiv", line: 2, fix: 'did you mean "objective"?' }),
      expect.objectContaining({ severity: "error", code: "SCHEMA", path: "tasks[1].depend_on", line: 12, task_id: "b", fix: 'did you mean "depends_on"?' }),
      expect.objectContaining({ severity: "error", code: "SCHEMA", path: "tasks[1].owner", line: 13, task_id: "b", message: "tasks[1].owner: not a field of a task" }),
    ]);
  });

  it("says plainly that a file is empty or that a required field is missing", () => {
    expect(parsePlanSource("").problems).toEqual([expect.objectContaining({ code: "SCHEMA", message: "the plan file is empty", fix: expect.stringContaining("objective and tasks") })]);
    expect(parsePlanSource("tasks: []\n").problems).toEqual([expect.objectContaining({ code: "SCHEMA", path: "objective", message: "objective: missing (the plan needs it)", fix: "add objective (see examples/release.yaml)" })]);
    const noScope = parsePlanSource("objective: Ship it\ntasks:\n  - id: a\n    objective: Build a.js\n    run: make\n");
    expect(noScope.problems).toEqual([expect.objectContaining({ path: "tasks[0].scope", task_id: "a", line: 3, message: "tasks[0].scope: missing (the task needs it)" })]);
  });

  it("says how to write what YAML read as another type: a numeric id quoted, a boolean as true or false", () => {
    const loaded = parsePlanSource('objective: Ship it\ntasks:\n  - { id: 1, objective: Build 1.js, scope: workspace, run: make }\n  - { id: "2", objective: Build 2.js, scope: workspace, run: make, depends_on: [1], idempotent: no }\n');
    expect(loaded.problems.map((p) => [p.path, p.fix])).toEqual([
      ["tasks[0].id", 'quote it: "1" (YAML reads 1 as a number)'],
      ["tasks[1].depends_on[0]", 'quote it: "1" (YAML reads 1 as a number)'],
      ["tasks[1].idempotent", "write true or false"],
    ]);
  });

  it("says a task id must be ASCII when it holds another letter", () => {
    const loaded = parsePlanSource("objective: Ship it\ntasks:\n  - id: déploy\n    objective: Build a.js\n    scope: workspace\n    run: make\n");
    expect(loaded.problems).toEqual([expect.objectContaining({ code: "SCHEMA", line: 3, path: "tasks[0].id", message: expect.stringContaining("ASCII letters"), fix: expect.stringContaining("ASCII letters") })]);
  });

  it("points syntax errors at their line, for YAML and for JSON", () => {
    expect(parsePlanSource("objective: x\ntasks:\n  - id: a\n   scope: [\n").problems[0]).toMatchObject({ code: "SYNTAX", line: 4 });
    expect(parsePlanSource('{\n  "objective": "x",\n  "tasks": [,]\n}').problems[0]).toMatchObject({ code: "SYNTAX", line: 3 });
  });

  it("reports an alias without its anchor as a syntax problem, not a crash (found by the plan-file fuzzer)", () => {
    expect(parsePlanSource("*-").problems).toEqual([expect.objectContaining({ code: "SYNTAX", message: expect.stringContaining("alias") })]);
  });

  it("reads compound durations, largest unit first, each unit once, and says how to write one", () => {
    const durations = (timeout: string) => parsePlanSource(`objective: Ship it\ntasks:\n  - { id: a, objective: Build a.js, scope: workspace, run: make, timeout: "${timeout}" }\n`);
    for (const good of ["250ms", "90s", "1h30m", "2m30s", "1d", "1d2h3m4s5ms", "1m5ms"]) expect(durations(good).problems, good).toEqual([]);
    for (const bad of ["", "1h 30m", "30m1h", "1h1h", "1.5h", "1w", "m", "-1s", "5 s"]) {
      expect(durations(bad).problems, bad).toEqual([expect.objectContaining({ code: "SCHEMA", path: "tasks[0].timeout", line: 3, fix: "write durations like 250ms, 5s, 10m, 1h, 2d or 1h30m" })]);
    }
  });

  it("gives validation problems the line of the task they concern", () => {
    const source = "objective: Ship app.js\ntasks:\n  - id: a\n    objective: Build a.js\n    scope: workspace\n    depends_on: [nope]\n    run: make\n";
    const loaded = parsePlanSource(source);
    const problems = validatePlan(loaded.plan!, { ...W, locate: loaded.locate });
    expect(problems.find((p) => p.code === "UNKNOWN_DEPENDENCY")?.line).toBe(6);
  });
});
