// This process's copy of each namespace's search attribute registry (store:
// listSearchAttributes), so that the check of a start or an upsert against the registered types
// costs no query: read once per namespace, kept in step with the registrations this process
// commits, and dropped when another writer may have changed it.
//
// Several engine processes may share a store (ADR 0012): the store's own check, in the write's
// transaction (registerSearchAttributes), is what keeps one type per name whoever writes; this
// copy is read again whenever the store reports a commit by another writer (foreignWrites), so a
// name another process registered or removed is seen at the next write after it.
import type { IndexedValueType, SearchAttributeTypes } from '../protocol/search-attribute-types.ts';
import {
  scheduleSearchAttributeType,
  searchAttributeTypesToRegister,
} from '../protocol/search-attribute-types.ts';
import type { SearchAttributeRegistration, Store } from '../store/store.ts';
import { perStore } from './per-store.ts';

class Registry {
  readonly #byNamespace = new Map<string, Promise<Map<string, IndexedValueType>>>();
  #foreignWrites: number | undefined;

  types(store: Store, namespace: string): Promise<ReadonlyMap<string, IndexedValueType>> {
    const writes = store.foreignWrites();
    if (writes !== this.#foreignWrites) {
      this.#byNamespace.clear();
      this.#foreignWrites = writes;
    }
    let types = this.#byNamespace.get(namespace);
    if (types === undefined) {
      // A schedule's system attributes are not registered; a store from before they were
      // treated as such may still list them.
      types = store
        .listSearchAttributes({ namespace })
        .then(
          (t) =>
            new Map(
              Object.entries(t).filter(([name]) => scheduleSearchAttributeType(name) === undefined),
            ),
        );
      this.#byNamespace.set(namespace, types);
      types.catch(() => this.#byNamespace.delete(namespace));
    }
    return types;
  }

  /** After a write that registered `reg` committed. */
  registered(reg: SearchAttributeRegistration): void {
    // A read that fails is dropped (types) and read again: nothing to add to.
    void this.#byNamespace.get(reg.namespace)?.then(
      (types) => {
        for (const [name, type] of Object.entries(reg.types)) types.set(name, type);
      },
      () => undefined,
    );
  }

  /** After a change it cannot follow (a removal, a write the store refused). */
  forget(namespace: string): void {
    this.#byNamespace.delete(namespace);
  }
}

const registryOf = perStore(() => new Registry());

/**
 * Checks the search attributes a write sets against the namespace's registered types (see
 * {@link searchAttributeTypesToRegister}: throws `InvalidArgumentError` for a value of another
 * type) and returns the registration of the names it introduces, or undefined when none. Each of
 * `sets` is one map of values, with the types of their typed keys when known; `into` collects
 * across the calls of one decision.
 */
export async function checkSearchAttributeTypes(
  store: Store,
  namespace: string,
  sets: readonly {
    values: Readonly<Record<string, unknown>> | undefined;
    keyTypes?: Readonly<Record<string, IndexedValueType>> | undefined;
  }[],
): Promise<SearchAttributeRegistration | undefined> {
  if (sets.every((s) => s.values === undefined || Object.keys(s.values).length === 0)) {
    return undefined;
  }
  const registered = await registryOf(store).types(store, namespace);
  const types: SearchAttributeTypes = {};
  for (const s of sets) {
    if (s.values !== undefined) {
      searchAttributeTypesToRegister(namespace, registered, s.values, s.keyTypes, types);
    }
  }
  return Object.keys(types).length === 0 ? undefined : { namespace, types };
}

/**
 * Follows a write that carried `reg` into the copy: registered once it committed, forgotten if
 * it failed (another writer may have registered a name first).
 */
export function followRegistration(
  store: Store,
  reg: SearchAttributeRegistration | undefined,
  write: Promise<unknown>,
): void {
  if (reg === undefined) return;
  const registry = registryOf(store);
  write.then(
    () => {
      registry.registered(reg);
    },
    () => {
      registry.forget(reg.namespace);
    },
  );
}

/** Drops the namespace's copy (after searchAttributes.add or .remove). */
export function forgetSearchAttributeTypes(store: Store, namespace: string): void {
  registryOf(store).forget(namespace);
}

/** The namespace's registered types, as the copy holds them. */
export async function registeredSearchAttributeTypes(
  store: Store,
  namespace: string,
): Promise<ReadonlyMap<string, IndexedValueType>> {
  return registryOf(store).types(store, namespace);
}
