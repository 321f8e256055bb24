// Pure. Cycles in a dependency graph: Tarjan's strongly connected components, iterative (a
// 100k-task chain must not overflow the stack) and on a graph in compressed rows of integers
// (validation of 10k tasks has a 50 ms budget, and 100k small arrays of edges cost more to
// allocate and to walk than the search itself), and one concrete cycle path through each
// component that has one.

/** A directed graph on nodes 0…n-1: node i's edges go to `targets[offsets[i]]` … `targets[offsets[i + 1] - 1]`. */
export interface Graph {
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
}

/**
 * The graph of `count` edges `from[k] → to[k]` on `n` nodes. Each node keeps its edges in the
 * order given (a counting sort, stable): the search follows them, and reports cycles, in that order.
 */
export function compressEdges(n: number, from: ArrayLike<number>, to: ArrayLike<number>, count: number): Graph {
  const offsets = new Int32Array(n + 1);
  for (let k = 0; k < count; k++) offsets[from[k]! + 1]!++;
  for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
  const fill = offsets.slice(0, n);
  const targets = new Int32Array(count);
  for (let k = 0; k < count; k++) targets[fill[from[k]!]!++] = to[k]!;
  return { offsets, targets };
}

/** Every cycle's path as ids, first id repeated at the end: `["a", "b", "c", "a"]`. */
export function findCycles(ids: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const position = new Map<string, number>();
  ids.forEach((id, i) => position.set(id, i));
  // Unknown dependencies are reported elsewhere and left out here.
  const from: number[] = [];
  const to: number[] = [];
  ids.forEach((id, i) => {
    for (const target of edges.get(id) ?? []) {
      const j = position.get(target);
      if (j === undefined) continue;
      from.push(i);
      to.push(j);
    }
  });
  return findCyclesIndexed(compressEdges(ids.length, from, to, from.length)).map((cycle) => cycle.map((i) => ids[i]!));
}

/** The same on a graph of node indices: each cycle as indices. */
export function findCyclesIndexed(graph: Graph): number[][] {
  const { offsets, targets } = graph;
  const n = offsets.length - 1;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const cycles: number[][] = [];
  let counter = 0;
  // The depth-first path: each node with the position in `targets` of the next edge to follow.
  const nodeFrames: number[] = [];
  const nextFrames: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    nodeFrames.push(root);
    nextFrames.push(offsets[root]!);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (nodeFrames.length > 0) {
      const top = nodeFrames.length - 1;
      const node = nodeFrames[top]!;
      const next = nextFrames[top]!;
      if (next < offsets[node + 1]!) {
        nextFrames[top] = next + 1;
        const neighbour = targets[next]!;
        if (index[neighbour] === -1) {
          index[neighbour] = low[neighbour] = counter++;
          stack.push(neighbour);
          onStack[neighbour] = 1;
          nodeFrames.push(neighbour);
          nextFrames.push(offsets[neighbour]!);
        } else if (onStack[neighbour]) {
          low[node] = Math.min(low[node]!, index[neighbour]!);
        }
        continue;
      }
      nodeFrames.pop();
      nextFrames.pop();
      if (nodeFrames.length > 0) {
        const parent = nodeFrames[nodeFrames.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[node]!);
      }
      if (low[node] !== index[node]) continue;
      if (stack[stack.length - 1] === node) {
        // A component of one node, as every node of a plan without cycles is: no set to build.
        stack.pop();
        onStack[node] = 0;
        if (hasEdge(graph, node, node)) cycles.push([node, node]);
        continue;
      }
      const component = new Set<number>();
      let member: number;
      do {
        member = stack.pop()!;
        onStack[member] = 0;
        component.add(member);
      } while (member !== node);
      cycles.push(cycleThrough(node, component, graph));
    }
  }
  return cycles;
}

function hasEdge({ offsets, targets }: Graph, from: number, to: number): boolean {
  for (let k = offsets[from]!; k < offsets[from + 1]!; k++) if (targets[k] === to) return true;
  return false;
}

/** A shortest cycle from `start` back to itself inside its component (breadth-first). */
function cycleThrough(start: number, component: ReadonlySet<number>, { offsets, targets }: Graph): number[] {
  const previous = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (let k = offsets[node]!; k < offsets[node + 1]!; k++) {
      const neighbour = targets[k]!;
      if (!component.has(neighbour)) continue;
      if (neighbour === start) {
        const back: number[] = [];
        for (let at: number | undefined = node; at !== undefined && at !== start; at = previous.get(at)) back.push(at);
        return [start, ...back.reverse(), start];
      }
      if (!previous.has(neighbour)) {
        previous.set(neighbour, node);
        queue.push(neighbour);
      }
    }
  }
  return [start, start];
}
