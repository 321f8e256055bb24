// Pure. Cycles in a dependency graph: Tarjan's strongly connected components (iterative, so a
// 100k-task chain does not overflow the stack), and one concrete cycle path through each.

/** Every cycle's path as ids, first id repeated at the end: `["a", "b", "c", "a"]`. */
export function findCycles(ids: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (const root of ids) {
    if (index.has(root)) continue;
    // Each frame: a node and the position of the next neighbour to visit.
    const frames: [string, number][] = [[root, 0]];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const [node, next] = frame;
      const neighbours = edges.get(node) ?? [];
      if (next < neighbours.length) {
        frame[1]++;
        const neighbour = neighbours[next]!;
        if (!edges.has(neighbour)) continue; // unknown dependency: reported elsewhere
        if (!index.has(neighbour)) {
          index.set(neighbour, counter);
          low.set(neighbour, counter++);
          stack.push(neighbour);
          onStack.add(neighbour);
          frames.push([neighbour, 0]);
        } else if (onStack.has(neighbour)) {
          low.set(node, Math.min(low.get(node)!, index.get(neighbour)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0])!, low.get(node)!));
      if (low.get(node) !== index.get(node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (edges.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) cycles.push(cycleThrough(node, new Set(component), edges));
    }
  }
  return cycles;
}

/** A shortest cycle from `start` back to itself inside its component (breadth-first). */
function cycleThrough(start: string, component: ReadonlySet<string>, edges: ReadonlyMap<string, readonly string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const neighbour of edges.get(node) ?? []) {
      if (!component.has(neighbour)) continue;
      if (neighbour === start) {
        const path = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) path.push(at);
        path.push(start);
        // Built backwards from the last hop; the first element stays `start`.
        return [start, ...path.slice(1, -1).reverse(), start];
      }
      if (!previous.has(neighbour) && neighbour !== start) {
        previous.set(neighbour, node);
        queue.push(neighbour);
      }
    }
  }
  return [start, start];
}
