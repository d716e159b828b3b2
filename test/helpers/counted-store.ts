import type { Store } from '../../src/store/store.ts';

/**
 * `store` itself, with a count of the calls to each of its methods (tests of store traffic) and
 * of those whose promise has not settled yet (`pending`); `onCall` sees each call's arguments.
 */
export function counted(
  store: Store,
  onCall?: (method: string, args: readonly unknown[]) => void,
): {
  store: Store;
  calls: Map<string, number>;
  pending: Map<string, number>;
} {
  const calls = new Map<string, number>();
  const pending = new Map<string, number>();
  const add = (counts: Map<string, number>, prop: string, n: number): void => {
    counts.set(prop, (counts.get(prop) ?? 0) + n);
  };
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        add(calls, prop, 1);
        onCall?.(prop, args);
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          add(pending, prop, 1);
          const settled = (): void => {
            add(pending, prop, -1);
          };
          void result.then(settled, settled);
        }
        return result;
      };
    },
  });
  return { store: wrapped, calls, pending };
}
