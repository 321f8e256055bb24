// The lines a valid JSON plan's problems point at are read off the text (json-locate.ts); they
// must be the lines the YAML document gives, for every path, present or missing, however the
// JSON is laid out.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { locateInJson } from "../../runtime/planning/json-locate.js";
import { parsePlanSource, parseYamlPlan } from "../../runtime/planning/plan-file.js";

const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.string().map((s) => `"\\${s}`));
const value = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom("id", "tasks", "run", "a\"b", "é"), fc.string()), tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** Paths into `v` (each prefix of a walk down it), and one step past each that is not there. */
function pathsOf(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix, [...prefix, "missing"], [...prefix, 7]];
  if (Array.isArray(v)) return [...here, ...v.flatMap((item, i) => pathsOf(item, [...prefix, i]))];
  if (v !== null && typeof v === "object") return [...here, ...Object.entries(v).flatMap(([k, item]) => pathsOf(item, [...prefix, k]))];
  return here;
}

describe("locateInJson", () => {
  test.prop([fc.dictionary(fc.string(), value, { maxKeys: 5 }), fc.constantFrom(undefined, 2, "\t", " ")])(
    "gives the line the YAML document gives, for every path",
    (document, indent) => {
      const text = JSON.stringify(document, null, indent);
      const yaml = parseYamlPlan(text);
      for (const path of pathsOf(document)) expect(locateInJson(text, path), JSON.stringify(path)).toBe(yaml.locate(path));
    },
  );

  it("is what a valid JSON plan's problems are located with", () => {
    const text = JSON.stringify({ objective: "Ship it", tasks: [{ id: "a", objective: "Build the app", scope: "workspace", run: "true", acceptance_tests: ["true"] }] }, null, 2);
    const loaded = parsePlanSource(text);
    expect(loaded.plan).toBeDefined();
    expect(loaded.locate(["tasks"])).toBe(3);
    expect(loaded.locate(["tasks", 0, "run"])).toBe(8);
    expect(loaded.locate(["tasks", 0, "nothing"])).toBe(4);
  });
});
