import type { Store } from '../store/store.ts';

/**
 * One `T` per store, made on first use: this process's knowledge of a store (its cached runs,
 * the tasks its polls are starting), shared by every engine on that store object.
 */
export function perStore<T extends object>(make: () => T): (store: Store) => T {
  const all = new WeakMap<Store, T>();
  return (store) => {
    let it = all.get(store);
    if (!it) {
      it = make();
      all.set(store, it);
    }
    return it;
  };
}
