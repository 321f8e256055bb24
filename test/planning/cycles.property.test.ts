// Validation of random graphs finds every cycle a reference algorithm finds.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { findCycles } from "../../runtime/planning/cycles.js";

/**
 * Reference (transitive closure, Floyd–Warshall): the cyclic components, each as the sorted list
 * of its nodes. A node is on a cycle iff it reaches itself; two such nodes share a component iff
 * each reaches the other.
 */
function cyclicComponents(n: number, edges: [number, number][]): string[] {
  const reach = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
  for (const [a, b] of edges) reach[a]![b] = true;
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (reach[i]![k] && reach[k]![j]) reach[i]![j] = true;
  const components = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (!reach[i]![i]) continue;
    const members = Array.from({ length: n }, (_, j) => j).filter((j) => reach[i]![j] && reach[j]![i]);
    components.add(members.join(","));
  }
  return [...components].sort();
}

const graph = fc.integer({ min: 1, max: 14 }).chain((n) =>
  fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 2 })),
);

describe("cycle detection", () => {
  test.prop([graph], { numRuns: 400 })("finds exactly the nodes on cycles, each reported cycle real", ([n, edges]) => {
    const ids = Array.from({ length: n }, (_, i) => `t${i}`);
    const adjacency = new Map(ids.map((id) => [id, [] as string[]]));
    for (const [a, b] of edges) adjacency.get(`t${a}`)!.push(`t${b}`);
    const cycles = findCycles(ids, adjacency);
    for (const cycle of cycles) {
      expect(cycle[0]).toBe(cycle.at(-1));
      for (let i = 0; i + 1 < cycle.length; i++) expect(adjacency.get(cycle[i]!)).toContain(cycle[i + 1]);
    }
    // Exactly one reported cycle per cyclic component of the reference, lying inside it.
    const components = cyclicComponents(n, edges).map((c) => new Set(c.split(",").map((i) => `t${i}`)));
    expect(cycles).toHaveLength(components.length);
    const hit = components.map((component) => cycles.filter((cycle) => cycle.every((id) => component.has(id))).length);
    expect(hit).toEqual(components.map(() => 1));
  });

  test("handles a 100k-task chain without overflowing the stack", () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `t${i}`);
    const edges = new Map(ids.map((id, i) => [id, i > 0 ? [`t${i - 1}`] : ["t99999"]]));
    const cycles = findCycles(ids, edges);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(100_001);
  });
});
