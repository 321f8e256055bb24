// Pure. A layered layout of the plan's DAG, left to right: each task in the layer after its
// deepest dependency (longest path), the tasks of a layer ordered by a few barycentre sweeps to
// cut crossings, then placed on a grid. Linear per sweep, so 1,000 tasks lay out in milliseconds;
// dagre took 18–50 s and ELK 3–4 s (plus 450 KB and an EPL licence) on the same plan
// (research/run-view.md §2). Computed once per plan version; state changes only recolour.

export interface LayoutInput {
  id: string;
  depends_on: readonly string[];
}

export interface NodePlace {
  id: string;
  layer: number;
  /** Its place within its layer, top to bottom. */
  order: number;
  x: number;
  y: number;
}

export interface Layout {
  nodes: Map<string, NodePlace>;
  edges: { from: string; to: string }[];
  width: number;
  height: number;
  layers: number;
}

export const NODE = { width: 168, height: 34, gapX: 56, gapY: 14, margin: 12 };

const SWEEPS = 4;

export function layoutPlan(tasks: readonly LayoutInput[]): Layout {
  const ids = new Set(tasks.map((task) => task.id));
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const task of tasks) {
    parents.set(task.id, task.depends_on.filter((dep) => ids.has(dep) && dep !== task.id));
    children.set(task.id, []);
  }
  for (const task of tasks) for (const parent of parents.get(task.id)!) children.get(parent)!.push(task.id);

  // Longest-path layers in topological order (Kahn); a task on a cycle (a plan never has one) goes last.
  const layer = new Map<string, number>();
  const waiting = new Map(tasks.map((task) => [task.id, parents.get(task.id)!.length]));
  const queue = tasks.filter((task) => waiting.get(task.id) === 0).map((task) => task.id);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const depth = Math.max(-1, ...parents.get(id)!.map((parent) => layer.get(parent) ?? -1)) + 1;
    layer.set(id, depth);
    for (const child of children.get(id)!) {
      const left = waiting.get(child)! - 1;
      waiting.set(child, left);
      if (left === 0) queue.push(child);
    }
  }
  const deepest = Math.max(-1, ...layer.values());
  for (const task of tasks) if (!layer.has(task.id)) layer.set(task.id, deepest + 1);

  const layers: string[][] = [];
  for (const task of tasks) (layers[layer.get(task.id)!] ??= []).push(task.id);
  for (let i = 0; i < layers.length; i++) layers[i] ??= [];

  const position = new Map<string, number>();
  const renumber = (row: string[]) => row.forEach((id, index) => position.set(id, index));
  layers.forEach(renumber);
  const barycentre = (id: string, neighbours: Map<string, string[]>) => {
    const list = neighbours.get(id)!;
    if (list.length === 0) return position.get(id)!;
    let sum = 0;
    for (const other of list) sum += position.get(other)!;
    return sum / list.length;
  };
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.map((_, i) => i).slice(1) : layers.map((_, i) => i).reverse().slice(1);
    for (const index of order) {
      const row = layers[index]!;
      const key = new Map(row.map((id) => [id, barycentre(id, down ? parents : children)]));
      // Stable: ties keep their order, so the same plan always lays out the same.
      row.sort((a, b) => key.get(a)! - key.get(b)! || position.get(a)! - position.get(b)!);
      renumber(row);
    }
  }

  const tallest = Math.max(0, ...layers.map((row) => row.length));
  const rowHeight = NODE.height + NODE.gapY;
  const nodes = new Map<string, NodePlace>();
  layers.forEach((row, index) => {
    // Each layer centred on the tallest one.
    const offset = ((tallest - row.length) * rowHeight) / 2;
    row.forEach((id, order) => {
      nodes.set(id, { id, layer: index, order, x: NODE.margin + index * (NODE.width + NODE.gapX), y: NODE.margin + offset + order * rowHeight });
    });
  });
  const edges = tasks.flatMap((task) => parents.get(task.id)!.map((from) => ({ from, to: task.id })));
  return {
    nodes,
    edges,
    layers: layers.length,
    width: NODE.margin * 2 + Math.max(1, layers.length) * (NODE.width + NODE.gapX) - NODE.gapX,
    height: NODE.margin * 2 + Math.max(1, tallest) * rowHeight - NODE.gapY,
  };
}
