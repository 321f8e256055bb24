// VersionedMap against plain Maps: any sequence of writes, deletes, clears, forks and reads on any
// of the forks leaves every fork with exactly the entries, in exactly the order, that a plain Map
// copied at each fork would hold.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { VersionedMap } from "../../machines/fold/versioned-map.js";

type Op =
  | { kind: "set"; fork: number; key: string; value: number }
  | { kind: "delete"; fork: number; key: string }
  | { kind: "clear"; fork: number }
  | { kind: "fork"; fork: number }
  | { kind: "read"; fork: number; key: string };

const key = fc.constantFrom("a", "b", "c", "d", "e", "f");
const fork = fc.nat({ max: 7 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("set" as const), fork, key, value: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), fork, key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const), fork }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("fork" as const), fork }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("read" as const), fork, key }) },
);
const start = fc.array(fc.tuple(key, fc.integer()), { maxLength: 6 });

describe("VersionedMap", () => {
  test.prop([start, fc.array(op, { maxLength: 60 })], { numRuns: 500 })(
    "every fork holds what a plain copy would, in the same order, whatever the other forks do",
    (entries, ops) => {
      const forks = [new VersionedMap<string, number>(entries)];
      const models = [new Map<string, number>(entries)];
      for (const step of ops) {
        const i = step.fork % forks.length;
        const [map, model] = [forks[i]!, models[i]!];
        if (step.kind === "set") expect(map.set(step.key, step.value)).toBe(map), model.set(step.key, step.value);
        if (step.kind === "delete") expect(map.delete(step.key)).toBe(model.delete(step.key));
        if (step.kind === "clear") map.clear(), model.clear();
        if (step.kind === "fork") forks.push(map.fork()), models.push(new Map(model));
        if (step.kind === "read") expect([map.get(step.key), map.has(step.key)]).toEqual([model.get(step.key), model.has(step.key)]);
        forks.forEach((each, j) => {
          expect([...each], `fork ${j}`).toEqual([...models[j]!]);
          expect(each.size).toBe(models[j]!.size);
        });
      }
    },
  );

  it("is a Map to its readers: keys, values, forEach and copies", () => {
    const map = new VersionedMap([["x", 1], ["y", 2]]);
    const copy = map.fork();
    copy.set("z", 3);
    const seen: string[] = [];
    copy.forEach((value, k) => seen.push(`${k}=${value}`));
    expect(seen).toEqual(["x=1", "y=2", "z=3"]);
    expect([...map.keys()]).toEqual(["x", "y"]);
    expect([...copy.values()]).toEqual([1, 2, 3]);
    expect(new Map(copy)).toEqual(new Map([["x", 1], ["y", 2], ["z", 3]]));
    expect(map instanceof Map).toBe(true);
  });

  it("iterates one fork while another is read, as a Map would", () => {
    const map = new VersionedMap([["a", 1], ["b", 2], ["c", 3]]);
    const other = map.fork();
    other.set("a", 10);
    const pairs: [string, number | undefined][] = [];
    for (const [k] of map) pairs.push([k, other.get(k)]);
    expect(pairs).toEqual([["a", 10], ["b", 2], ["c", 3]]);
  });
});
