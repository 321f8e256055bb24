// The DAG layout of peh ui (ui/layout.ts): every task placed once, every dependency pointing
// right, no two tasks on one spot, the same plan always drawn the same.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { layoutPlan, NODE, type LayoutInput } from "../../ui/layout.js";

/** A random DAG: task i depends only on tasks before it. */
const dag = fc.integer({ min: 1, max: 120 }).chain((n) =>
  fc.tuple(...Array.from({ length: n }, (_, i) => fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : 3 }))).map((deps) =>
    deps.map((parents, i): LayoutInput => ({ id: `t${i}`, depends_on: parents.map((p) => `t${p}`) })),
  ),
);

describe("layoutPlan", () => {
  test.prop([dag])("places every task once, each after its dependencies, none on another's spot", (tasks) => {
    const layout = layoutPlan(tasks);
    expect([...layout.nodes.keys()].sort()).toEqual(tasks.map((t) => t.id).sort());
    for (const task of tasks) for (const dep of task.depends_on) expect(layout.nodes.get(dep)!.layer).toBeLessThan(layout.nodes.get(task.id)!.layer);
    const spots = new Set([...layout.nodes.values()].map((place) => `${place.x},${place.y}`));
    expect(spots.size).toBe(tasks.length);
    for (const place of layout.nodes.values()) {
      expect(place.x + NODE.width).toBeLessThanOrEqual(layout.width);
      expect(place.y + NODE.height).toBeLessThanOrEqual(layout.height);
    }
    expect(layout.edges).toHaveLength(tasks.reduce((sum, t) => sum + t.depends_on.length, 0));
  });

  test.prop([dag])("lays the same plan out the same way", (tasks) => {
    const a = layoutPlan(tasks);
    const b = layoutPlan(tasks);
    expect([...a.nodes.values()]).toEqual([...b.nodes.values()]);
  });

  it("puts a task in the layer after its deepest dependency (the release plan)", () => {
    const layout = layoutPlan([
      { id: "build", depends_on: [] },
      { id: "unit-tests", depends_on: ["build"] },
      { id: "lint", depends_on: ["build"] },
      { id: "deploy", depends_on: ["unit-tests", "lint"] },
    ]);
    expect(Object.fromEntries([...layout.nodes].map(([id, place]) => [id, place.layer]))).toEqual({ build: 0, "unit-tests": 1, lint: 1, deploy: 2 });
  });

  it("ignores a dependency on a task the plan does not hold", () => {
    expect(layoutPlan([{ id: "a", depends_on: ["gone"] }]).edges).toEqual([]);
  });
});
