// Pure. A Map that forks in O(1): every fork is an independent map, and all forks of one map
// share one backing Map. The decider drafts each decision on a fork of the run's maps, so a
// decision costs what it changes, not the size of the run (a copy per decision made a 10k-task
// run quadratic).
//
// The technique is Baker's rerooting: the backing Map holds the contents of one version (the
// root); every other version is a diff (one key and its value there) towards a newer one. Reading
// or writing a version first reroots the backing Map to it by applying the diffs on the way and
// inverting them. Writes replace or add keys only (which rerooting undoes and redoes in LIFO
// order, so every version keeps its own insertion order); a delete or clear first detaches the
// fork onto a backing Map of its own.

const ABSENT: unique symbol = Symbol("absent");

interface Backing<K, V> {
  map: Map<K, V>;
  root: Version<K, V>;
}

/** A version: the root (the backing Map holds it), or a diff towards a newer version. */
interface Version<K, V> {
  diff: { key: K; value: V | typeof ABSENT; next: Version<K, V> } | null;
}

export class VersionedMap<K, V> extends Map<K, V> {
  private backing!: Backing<K, V>;
  private version!: Version<K, V>;

  /** A map of `entries`, or a fork of `from` (O(1); the two change independently from then on). */
  constructor(entries?: Iterable<readonly [K, V]> | null, from?: VersionedMap<K, V>) {
    super();
    if (from) {
      this.backing = from.backing;
      this.version = from.version;
      return;
    }
    this.version = { diff: null };
    this.backing = { map: new Map(entries ?? []), root: this.version };
  }

  /** An independent copy in O(1). */
  fork(): VersionedMap<K, V> {
    return new VersionedMap<K, V>(null, this);
  }

  override get(key: K): V | undefined {
    return this.current().get(key);
  }

  override has(key: K): boolean {
    return this.current().has(key);
  }

  override get size(): number {
    return this.current().size;
  }

  override set(key: K, value: V): this {
    const map = this.current();
    const before = map.has(key) ? map.get(key)! : ABSENT;
    map.set(key, value);
    // The version this fork was stays what it was for the forks that share it: a diff to the new one.
    const next: Version<K, V> = { diff: null };
    this.version.diff = { key, value: before, next };
    this.version = next;
    this.backing.root = next;
    return this;
  }

  override delete(key: K): boolean {
    if (!this.has(key)) return false;
    return this.detach().delete(key);
  }

  override clear(): void {
    this.detach().clear();
  }

  override forEach(callback: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  // Iteration works on a copy of the entries: reading another fork while iterating this one
  // reroots the backing Map under it.
  override entries(): MapIterator<[K, V]> {
    return [...this.current().entries()][Symbol.iterator]();
  }

  override keys(): MapIterator<K> {
    return [...this.current().keys()][Symbol.iterator]();
  }

  override values(): MapIterator<V> {
    return [...this.current().values()][Symbol.iterator]();
  }

  override [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  /** The backing Map, rerooted to this fork's version. */
  private current(): Map<K, V> {
    const { backing, version } = this;
    if (backing.root === version) return backing.map;
    // The path from this version to the root, then the diffs applied from the root's end back.
    const path: Version<K, V>[] = [];
    for (let at: Version<K, V> = version; at !== backing.root; at = at.diff!.next) path.push(at);
    for (let i = path.length - 1; i >= 0; i--) {
      const at = path[i]!;
      const { key, value, next } = at.diff!;
      const now = backing.map.has(key) ? backing.map.get(key)! : ABSENT;
      if (value === ABSENT) backing.map.delete(key);
      else backing.map.set(key, value);
      next.diff = { key, value: now, next: at };
      at.diff = null;
    }
    backing.root = version;
    return backing.map;
  }

  /** This fork on a backing Map of its own (before a delete or clear, which rerooting cannot undo in order). */
  private detach(): Map<K, V> {
    const map = new Map(this.current());
    this.version = { diff: null };
    this.backing = { map, root: this.version };
    return map;
  }
}
