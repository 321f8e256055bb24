// The layout of DESIGN §2, checked: dependencies point down events → machines → projections →
// runtime → cli (ui beside runtime, on the pure layers only), machines/ and projections/ touch
// no I/O, and no module imports itself back through others. Imports are read from the source
// text (static `import … from`, `export … from` and `import("…")`), resolved to files.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const LAYERS = ["events", "machines", "projections", "runtime", "ui", "cli"] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import besides itself. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  events: [],
  machines: ["events"],
  projections: ["events", "machines"],
  runtime: ["events", "machines", "projections"],
  ui: ["events", "machines", "projections"],
  cli: ["events", "machines", "projections", "runtime"],
};

/** Packages only one place may use (DESIGN §2: "lowdb, pg only in their adapter"). */
const CONFINED: Record<string, string> = { lowdb: "events/adapters/lowdb", pg: "events/adapters/postgres" };

interface Import { readonly spec: string; readonly dynamic: boolean }

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const found: Import[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/gms)) found.push({ spec: m[1]!, dynamic: false });
  for (const m of text.matchAll(/^\s*import\s+["']([^"']+)["']/gm)) found.push({ spec: m[1]!, dynamic: false });
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push({ spec: m[1]!, dynamic: true });
  return found;
}

const layerOf = (file: string): Layer | undefined => LAYERS.find((layer) => relative(root, file).startsWith(`${layer}/`));
const resolveSpec = (from: string, spec: string) => resolve(dirname(from), spec.replace(/\.js$/, ".ts"));
const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);

const files = LAYERS.flatMap((layer) => sources(join(root, layer)));
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe("the layout (DESIGN §2)", () => {
  it("reads every layer's modules", () => {
    for (const layer of LAYERS) expect(files.some((file) => layerOf(file) === layer), layer).toBe(true);
    expect([...graph.values()].flat().length).toBeGreaterThan(files.length);
  });

  it("has dependencies only downward", () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      const from = layerOf(file)!;
      for (const { spec } of imports) {
        if (!spec.startsWith(".")) continue;
        const to = layerOf(resolveSpec(file, spec));
        if (to === undefined) upward.push(`${relative(root, file)} → ${spec} (outside the layers: test/ or bench/?)`);
        else if (to !== from && !MAY_IMPORT[from].includes(to)) upward.push(`${relative(root, file)} → ${relative(root, resolveSpec(file, spec))}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("keeps machines/ and projections/ pure: no node: module, no store package", () => {
    const impure: string[] = [];
    for (const [file, imports] of graph) {
      const layer = layerOf(file);
      if (layer !== "machines" && layer !== "projections" && layer !== "ui") continue;
      for (const { spec } of imports) {
        if (spec.startsWith("node:") || spec in CONFINED || ["fs", "child_process", "path", "os"].includes(spec)) impure.push(`${relative(root, file)} → ${spec}`);
      }
    }
    expect(impure).toEqual([]);
  });

  it("uses lowdb and pg only in their adapters", () => {
    const outside: string[] = [];
    for (const [file, imports] of graph) {
      for (const { spec } of imports) {
        const home = CONFINED[packageOf(spec)];
        if (home !== undefined && !relative(root, file).startsWith(home)) outside.push(`${relative(root, file)} → ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it("has no import cycle among static imports", () => {
    const edges = new Map<string, string[]>();
    for (const [file, imports] of graph) {
      edges.set(file, imports.filter((i) => !i.dynamic && i.spec.startsWith(".")).map((i) => resolveSpec(file, i.spec)).filter((to) => graph.has(to)));
    }
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, "open");
      stack.push(file);
      for (const to of edges.get(file) ?? []) {
        if (state.get(to) === "open") cycles.push([...stack.slice(stack.indexOf(to)), to].map((f) => relative(root, f)).join(" → "));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
