// Pure. Cycles in a dependency graph: Tarjan's strongly connected components, iterative (a
// 100k-task chain must not overflow the stack) and on integer indices (validation of 10k tasks
// has a 50 ms budget), and one concrete cycle path through each component that has one.

/** Every cycle's path as ids, first id repeated at the end: `["a", "b", "c", "a"]`. */
export function findCycles(ids: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const position = new Map<string, number>();
  ids.forEach((id, i) => position.set(id, i));
  // Unknown dependencies are reported elsewhere and left out here.
  const adjacency = ids.map((id) => (edges.get(id) ?? []).map((target) => position.get(target) ?? -1).filter((j) => j >= 0));
  return findCyclesIndexed(adjacency).map((cycle) => cycle.map((i) => ids[i]!));
}

/** The same on node indices 0…n-1 and their adjacency lists: each cycle as indices. */
export function findCyclesIndexed(adjacency: readonly (readonly number[])[]): number[][] {
  const n = adjacency.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const cycles: number[][] = [];
  let counter = 0;
  const nodeFrames: number[] = [];
  const nextFrames: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    nodeFrames.push(root);
    nextFrames.push(0);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (nodeFrames.length > 0) {
      const top = nodeFrames.length - 1;
      const node = nodeFrames[top]!;
      const neighbours = adjacency[node]!;
      const next = nextFrames[top]!;
      if (next < neighbours.length) {
        nextFrames[top] = next + 1;
        const neighbour = neighbours[next]!;
        if (index[neighbour] === -1) {
          index[neighbour] = low[neighbour] = counter++;
          stack.push(neighbour);
          onStack[neighbour] = 1;
          nodeFrames.push(neighbour);
          nextFrames.push(0);
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
      const component = new Set<number>();
      let member: number;
      do {
        member = stack.pop()!;
        onStack[member] = 0;
        component.add(member);
      } while (member !== node);
      if (component.size > 1 || adjacency[node]!.includes(node)) {
        cycles.push(cycleThrough(node, component, adjacency));
      }
    }
  }
  return cycles;
}

/** A shortest cycle from `start` back to itself inside its component (breadth-first). */
function cycleThrough(start: number, component: ReadonlySet<number>, adjacency: readonly (readonly number[])[]): number[] {
  const previous = new Map<number, number>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const neighbour of adjacency[node]!) {
      if (!component.has(neighbour)) continue;
      if (neighbour === start) {
        const back: number[] = [];
        for (let at: number | undefined = node; at !== undefined && at !== start; at = previous.get(at)) back.push(at);
        return [start, ...back.reverse(), start];
      }
      if (neighbour !== start && !previous.has(neighbour)) {
        previous.set(neighbour, node);
        queue.push(neighbour);
      }
    }
  }
  return [start, start];
}
