// The plan as a DAG, pending tasks too: laid out once per plan version (layout.ts), then only
// recoloured as the state moves. Plain SVG; a click selects a task.
import type { Plan } from "../../events/index.js";
import { s } from "../dom.js";
import { layoutPlan, NODE } from "../layout.js";
import type { Snapshot } from "../model.js";

export class DagView {
  private planKey = "";
  private nodes = new Map<string, SVGElement>();
  private selected: string | null = null;

  constructor(
    private readonly container: HTMLElement,
    private readonly onSelect: (task: string) => void,
  ) {}

  update(snapshot: Snapshot, selected: string | null): void {
    const plan = snapshot.plan;
    const key = plan ? `${plan.version}:${plan.tasks.length}` : "";
    if (key !== this.planKey) {
      this.planKey = key;
      this.draw(plan);
    }
    for (const task of snapshot.status.tasks) {
      const node = this.nodes.get(task.id);
      if (!node) continue;
      const cls = `node st-${task.state}${task.risky ? " risky" : ""}${task.id === selected ? " selected" : ""}`;
      if (node.getAttribute("class") !== cls) node.setAttribute("class", cls);
      node.setAttribute("data-state", task.state);
    }
    this.selected = selected;
  }

  private draw(plan: Plan | null): void {
    this.nodes.clear();
    if (!plan) {
      this.container.replaceChildren("The run has no plan at this point.");
      return;
    }
    const layout = layoutPlan(plan.tasks);
    const svg = s("svg", { class: "dag", width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, role: "img", "aria-label": `plan of ${plan.tasks.length} tasks` });
    const edges = s("g", { class: "edges" });
    for (const edge of layout.edges) {
      const a = layout.nodes.get(edge.from)!;
      const b = layout.nodes.get(edge.to)!;
      const x1 = a.x + NODE.width, y1 = a.y + NODE.height / 2, x2 = b.x, y2 = b.y + NODE.height / 2;
      const mid = (x1 + x2) / 2;
      edges.append(s("path", { d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` }));
    }
    svg.append(edges);
    const group = s("g", { class: "nodes" });
    for (const task of plan.tasks) {
      const place = layout.nodes.get(task.id)!;
      const label = task.id.length > 22 ? `${task.id.slice(0, 21)}…` : task.id;
      const node = s(
        "g",
        { class: "node st-pending", transform: `translate(${place.x},${place.y})`, "data-task": task.id, tabindex: 0 },
        s("title", {}, `${task.id}: ${task.objective}`),
        s("rect", { width: NODE.width, height: NODE.height, rx: 6 }),
        s("text", { x: 10, y: NODE.height / 2 + 4 }, task.risky ? `⚠ ${label}` : label),
      );
      node.addEventListener("click", () => this.onSelect(task.id));
      node.addEventListener("keydown", (event) => {
        if ((event as KeyboardEvent).key === "Enter") this.onSelect(task.id);
      });
      this.nodes.set(task.id, node);
      group.append(node);
    }
    svg.append(group);
    this.container.replaceChildren(svg);
    void this.selected;
  }
}
