import { describe, expect, it } from "vitest";
import { getStateNodes } from "xstate/graph";
import { MACHINES, MACHINE_NAMES, renderDiagram } from "../machines/diagram.js";

describe("diagrams", () => {
  it.each(MACHINE_NAMES)("the %s Mermaid diagram names every leaf state and starts at the initial one", (name) => {
    const text = renderDiagram(name, "mermaid");
    expect(text.startsWith("stateDiagram-v2\n")).toBe(true);
    for (const node of getStateNodes(MACHINES[name])) {
      if (Object.keys(node.states).length === 0) expect(text).toContain(node.path.join("__"));
    }
    expect(text).toMatch(/\[\*\] --> \w+/);
  });

  it.each(MACHINE_NAMES)("the %s DOT graph is one digraph with an initial arrow", (name) => {
    const text = renderDiagram(name, "dot");
    expect(text).toMatch(new RegExp(`^digraph "${name}" \\{`));
    expect(text.trimEnd().endsWith("}")).toBe(true);
    expect(text).toContain('"__initial" ->');
  });

  it.each(MACHINE_NAMES)("the %s config JSON parses and names its states and guards", (name) => {
    const config = JSON.parse(renderDiagram(name, "json")) as { id: string; states: Record<string, unknown> };
    expect(config.id).toBe(name);
    expect(Object.keys(config.states).length).toBeGreaterThan(2);
  });

  it("spells combined guards out in the task diagram", () => {
    expect(renderDiagram("task", "mermaid")).toContain("TASK_SKIPPED [isOwn ∧ isUpstreamFailure]");
    expect(renderDiagram("task", "mermaid")).toContain("RECOVERY_ESCALATION [¬isIdempotent]");
  });

  it("highlights the current states when asked", () => {
    const text = renderDiagram("worker", "mermaid", { highlight: ["running"] });
    expect(text).toContain("class running current");
    expect(renderDiagram("bootstrap", "dot", { highlight: ["mcp_fastpath.running"] })).toMatch(/"mcp_fastpath\.running" \[.*fillcolor/);
  });
});
