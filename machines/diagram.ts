// Pure. The lifecycles as diagrams: Mermaid and DOT from xstate/graph's `toDirectedGraph`, and the
// machine config as JSON (for Stately Studio). Optionally marks the states a run is in now.
import type { AnyStateMachine } from "xstate";
import { toDirectedGraph, type DirectedGraphNode } from "xstate/graph";
import { bootstrapMachine } from "./bootstrap.js";
import { planMachine } from "./plan.js";
import { taskMachine } from "./task.js";
import { workerMachine } from "./worker.js";

export const MACHINES = { plan: planMachine, task: taskMachine, worker: workerMachine, bootstrap: bootstrapMachine } as const;
export type MachineName = keyof typeof MACHINES;
export const MACHINE_NAMES = Object.keys(MACHINES) as MachineName[];
export const DIAGRAM_FORMATS = ["mermaid", "dot", "json"] as const;
export type DiagramFormat = (typeof DIAGRAM_FORMATS)[number];

export interface DiagramOptions {
  /** State paths (`running`, `cli_entry.failed`) to highlight: where a run is now. */
  highlight?: readonly string[];
}

interface GuardLike {
  type?: string;
  guards?: GuardLike[];
  name?: string;
}

/** A guard as text: `isOwn`, `isOwn ∧ isUpstreamFailure`, `¬isIdempotent`. */
export function guardText(guard: unknown): string {
  if (guard === undefined || guard === null) return "";
  if (typeof guard === "string") return guard;
  const g = guard as GuardLike;
  if (typeof guard === "function" && g.guards) {
    const parts = g.guards.map(guardText);
    if (g.name === "not") return `¬${parts[0]}`;
    return parts.join(g.name === "or" ? " ∨ " : " ∧ ");
  }
  return g.type ?? "guard";
}

interface Edge {
  source: string;
  target: string;
  label: string;
}

/** Every state and every transition of a machine, with ids relative to the machine. */
function flatten(machine: AnyStateMachine) {
  const rel = (id: string) => id.slice(machine.id.length + 1);
  const states: { path: string; parent: string; final: boolean; initial: string | undefined; compound: boolean }[] = [];
  const edges: Edge[] = [];
  const walk = (node: DirectedGraphNode, parent: string) => {
    for (const edge of node.edges) {
      const guard = guardText(edge.transition.guard);
      edges.push({
        source: rel(edge.source.id),
        target: rel(edge.target.id),
        label: guard ? `${edge.label.text} [${guard}]` : edge.label.text,
      });
    }
    for (const child of node.children) {
      const path = rel(child.id);
      const sn = child.stateNode;
      const initial = sn.initial?.target[0];
      states.push({
        path,
        parent,
        final: sn.type === "final",
        initial: initial ? rel(initial.id) : undefined,
        compound: child.children.length > 0,
      });
      walk(child, path);
    }
  };
  walk(toDirectedGraph(machine), "");
  const root = machine.root.initial?.target[0];
  // Transitions declared on the machine itself apply in every state: shown apart, not as loops.
  return {
    states,
    edges: edges.filter((edge) => edge.source !== ""),
    anyState: edges.filter((edge) => edge.source === "").map((edge) => edge.label),
    initial: root ? rel(root.id) : undefined,
  };
}

const mermaidId = (path: string) => path.replaceAll(".", "__");

export function toMermaid(machine: AnyStateMachine, options: DiagramOptions = {}): string {
  const { states, edges, anyState, initial } = flatten(machine);
  const lines = ["stateDiagram-v2"];
  const emit = (parent: string, indent: string, start: string | undefined) => {
    if (start) lines.push(`${indent}[*] --> ${mermaidId(start)}`);
    for (const state of states.filter((s) => s.parent === parent)) {
      const id = mermaidId(state.path);
      const name = state.path.split(".").at(-1)!;
      if (state.compound) {
        lines.push(`${indent}state "${name}" as ${id} {`);
        emit(state.path, indent + "  ", state.initial);
        lines.push(`${indent}}`);
      } else if (id !== name) {
        lines.push(`${indent}state "${name}" as ${id}`);
      }
      if (state.final) lines.push(`${indent}${id} --> [*]`);
    }
  };
  emit("", "  ", initial);
  for (const edge of edges) lines.push(`  ${mermaidId(edge.source)} --> ${mermaidId(edge.target)}: ${edge.label}`);
  if (anyState.length > 0 && initial) {
    lines.push(`  note right of ${mermaidId(initial)}`, "    in any state:", ...anyState.map((label) => `    ${label}`), "  end note");
  }
  const highlighted = states.filter((s) => isHighlighted(s.path, options));
  if (highlighted.length > 0) {
    lines.push("  classDef current fill:#fde68a,stroke:#b45309,stroke-width:2px");
    for (const state of highlighted) lines.push(`  class ${mermaidId(state.path)} current`);
  }
  return lines.join("\n") + "\n";
}

export function toDot(machine: AnyStateMachine, options: DiagramOptions = {}): string {
  const { states, edges, anyState, initial } = flatten(machine);
  const q = (text: string) => JSON.stringify(text);
  const lines = [`digraph ${q(machine.id)} {`, "  rankdir=LR;", "  node [shape=box, style=rounded];"];
  const anchor = (path: string) => {
    const state = states.find((s) => s.path === path);
    return state?.compound && state.initial ? state.initial : path;
  };
  const emit = (parent: string, indent: string) => {
    for (const state of states.filter((s) => s.parent === parent)) {
      const name = state.path.split(".").at(-1)!;
      if (state.compound) {
        lines.push(`${indent}subgraph ${q(`cluster_${state.path}`)} {`, `${indent}  label=${q(name)};`);
        emit(state.path, indent + "  ");
        lines.push(`${indent}}`);
        continue;
      }
      const attributes = [`label=${q(name)}`];
      if (state.final) attributes.push("peripheries=2");
      if (isHighlighted(state.path, options)) attributes.push('style="rounded,filled"', 'fillcolor="#fde68a"');
      lines.push(`${indent}${q(state.path)} [${attributes.join(", ")}];`);
    }
  };
  emit("", "  ");
  if (initial) lines.push('  "__initial" [shape=point];', `  "__initial" -> ${q(anchor(initial))};`);
  for (const edge of edges) lines.push(`  ${q(anchor(edge.source))} -> ${q(anchor(edge.target))} [label=${q(edge.label)}];`);
  if (anyState.length > 0) {
    lines.push(`  "__any" [shape=note, label=${q(["in any state:", ...anyState].join("\n"))}];`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** The machine's config as JSON, guards spelled out: paste it into Stately Studio. */
export function toConfigJson(machine: AnyStateMachine): string {
  return (
    JSON.stringify(
      machine.config,
      (key, value: unknown) => {
        if (key === "context" && typeof value === "function") return undefined;
        if (key === "guard") return guardText(value);
        return typeof value === "function" ? undefined : value;
      },
      2,
    ) + "\n"
  );
}

function isHighlighted(path: string, options: DiagramOptions): boolean {
  return (options.highlight ?? []).some((current) => current === path || current.startsWith(`${path}.`));
}

export function renderDiagram(name: MachineName, format: DiagramFormat, options: DiagramOptions = {}): string {
  const machine = MACHINES[name] as AnyStateMachine;
  if (format === "mermaid") return toMermaid(machine, options);
  if (format === "dot") return toDot(machine, options);
  return toConfigJson(machine);
}
