// Sandbox-safe: bundled into the workflow runtime as well as used by the worker.

/** What every LazyMap and LazySet reads while it has no table of its own; never written. */
const EMPTY_MAP: ReadonlyMap<never, never> = new Map<never, never>();
const EMPTY_SET: ReadonlySet<never> = new Set<never>();

/** What a LazyMap and a LazySet share: the table, made by the first write. */
abstract class LazyTable<K> {
  protected table: Map<K, unknown> | Set<K> | undefined;

  get size(): number {
    return this.table?.size ?? 0;
  }

  has(key: K): boolean {
    return this.table?.has(key) ?? false;
  }

  delete(key: K): boolean {
    return this.table?.delete(key) ?? false;
  }

  clear(): void {
    this.table?.clear();
  }
}

/**
 * A `Map` that makes its table at its first `set`. V8 gives every `new Map()` a table for four
 * entries at once (~180 bytes with the map), and a cached workflow run holds about twenty maps
 * and sets, one per kind of operation it may park (timers, activities, conditions, children,
 * signals, handlers…), of which a run uses two or three. Otherwise it behaves as the map it
 * wraps: same order, same iteration while entries are added or deleted.
 */
export class LazyMap<K, V> extends LazyTable<K> implements Iterable<[K, V]> {
  declare protected table: Map<K, V> | undefined;

  get(key: K): V | undefined {
    return this.table?.get(key);
  }

  set(key: K, value: V): this {
    (this.table ??= new Map()).set(key, value);
    return this;
  }

  keys(): IterableIterator<K> {
    return (this.table ?? EMPTY_MAP).keys();
  }

  values(): IterableIterator<V> {
    return (this.table ?? EMPTY_MAP).values();
  }

  entries(): IterableIterator<[K, V]> {
    return (this.table ?? EMPTY_MAP).entries();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}

/** A `Set` that makes its table at its first `add`: see {@link LazyMap}. */
export class LazySet<T> extends LazyTable<T> implements Iterable<T> {
  declare protected table: Set<T> | undefined;

  add(value: T): this {
    (this.table ??= new Set()).add(value);
    return this;
  }

  values(): IterableIterator<T> {
    return (this.table ?? EMPTY_SET).values();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }
}
