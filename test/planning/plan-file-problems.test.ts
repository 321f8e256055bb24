import { describe, expect, it } from "vitest";
import { parsePlanSource } from "../../runtime/planning/plan-file.js";
import { planFileProblems } from "../../runtime/planning/plan-file-problems.js";

const W = { workspace: "/w/app" };
const report = (source: string) => planFileProblems(parsePlanSource(source), W);

/** Two tasks that fail the schema, and eight semantic problems around them. */
const TEN = [
  "objective: Ship app.js to the CDN",
  "tasks:",
  "  - { id: a, objective: Build a.js, scope: galaxy, run: make }",
  "  - { id: b, objective: Build b.js, scope: workspace, run: make, idempotent: maybe }",
  "  - { id: c, objective: Build c.js, scope: workspace, depends_on: [a, zz], run: make }",
  "  - { id: c, objective: Build c2.js, scope: workspace, run: make }",
  "  - { id: d, objective: Build d.js, scope: workspace }",
  "  - { id: e, objective: Build e.js, scope: module, run: make }",
  "  - { id: f, objective: Build f.js, scope: module, scope_path: ../up, run: make }",
  "  - { id: g, objective: Build g.js, scope: workspace, run: make, confirm: ok }",
  "  - { id: h, objective: Build h.js, scope: workspace, depends_on: [i], run: make }",
  "  - { id: i, objective: Build i.js, scope: workspace, depends_on: [h], run: make }",
  "  - { id: j, objective: Build j.js, scope: workspace, run: make, timeout: 0s }",
  "",
].join("\n");

describe("plan file › every problem in one report", () => {
  it("reports 2 schema errors and the 8 semantic ones of what still reads, at once, task by task with their lines", () => {
    const errors = report(TEN).filter((p) => p.severity === "error");
    expect(errors.map((p) => [p.code, p.task_id, p.line])).toEqual([
      ["SCHEMA", "a", 3],
      ["SCHEMA", "b", 4],
      ["UNKNOWN_DEPENDENCY", "c", 5],
      ["DUPLICATE_ID", "c", 6],
      ["NO_CHECK", "d", 7],
      ["SCOPE_PATH_MISSING", "e", 8],
      ["SCOPE_ESCAPE", "f", 9],
      ["GENERIC_CONFIRM", "g", 10],
      ["SCHEMA", "j", 13],
      ["CYCLE", "h", 11],
    ]);
  });

  it("counts a task that fails the schema by its id and dependencies: depending on it is no unknown dependency", () => {
    const problems = report(["objective: Ship app.js", "tasks:", "  - { id: a, objective: Build a.js, scope: galaxy, run: make, depends_on: [b] }", "  - { id: b, objective: Build b.js, scope: workspace, run: make, depends_on: [a] }", "  - { id: c, objective: Build c.js, scope: workspace, run: make, depends_on: [a] }", ""].join("\n"));
    expect(problems.map((p) => [p.code, p.task_id])).toEqual([
      ["SCHEMA", "a"],
      ["CYCLE", "a"],
    ]);
  });

  it("judges nothing else of a task that fails the schema, so no problem is reported twice or made up", () => {
    const problems = report(["objective: Ship app.js", "tasks:", "  - { id: a, objective: Build a.js, scope: galaxy }", "  - { id: b, objective: Build b.js, scope: workspace, run: make }", "  - { id: c, objective: Build c.js, scope: workspace, run: make }", ""].join("\n"));
    expect(problems.map((p) => [p.code, p.path])).toEqual([["SCHEMA", "tasks[0].scope"]]);
  });

  it("has only the syntax problem to report when the file does not parse", () => {
    expect(new Set(report("objective: x\ntasks:\n  - id: a\n   scope: [\n").map((p) => p.code))).toEqual(new Set(["SYNTAX"]));
  });
});

describe("plan file › a JSON plan (read with JSON.parse when it is valid as it stands)", () => {
  const task = (id: string, more = "") => `{ "id": "${id}", "objective": "Build ${id}.js", "scope": "workspace", "run": "make"${more} }`;

  it("reads the same plan as the YAML parser does, and finds the line of a later problem", () => {
    const json = ["{", '  "objective": "Ship app.js",', '  "tasks": [', `    ${task("a")},`, `    ${task("b", ', "depends_on": ["a"]')}`, "  ]", "}", ""].join("\n");
    const loaded = parsePlanSource(json);
    const throughYaml = parsePlanSource(`# the same, as YAML\n${json}`); // does not start with "{"
    expect(loaded.plan?.tasks.map((t) => [t.id, t.depends_on])).toEqual([["a", []], ["b", ["a"]]]);
    expect(loaded.plan).toEqual(throughYaml.plan);
    expect(loaded.locate(["tasks", 1, "depends_on"])).toBe(5);
    expect(throughYaml.locate(["tasks", 1, "depends_on"])).toBe(6);
  });

  it("still refuses a duplicate key, which JSON.parse alone would keep silently (the last one)", () => {
    const json = `{ "objective": "Ship app.js", "tasks": [${task("a", ', "run": "rm -rf /"')}] }`;
    expect(parsePlanSource(json).plan).toBeUndefined();
    expect(report(json).map((p) => p.code)).toContain("SYNTAX");
  });

  it("reports a JSON plan's schema problems with their lines, as for YAML", () => {
    const json = ["{", '  "objective": "Ship app.js",', '  "tasks": [', `    ${task("a", ', "scope": "galaxy"').replace('"scope": "workspace", ', "")}`, "  ]", "}"].join("\n");
    expect(report(json).filter((p) => p.severity === "error").map((p) => [p.code, p.path, p.line])).toEqual([["SCHEMA", "tasks[0].scope", 4]]);
  });
});
