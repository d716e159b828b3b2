import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SearchAttributeTypes } from '../protocol/search-attribute-types.ts';
import type { Store } from '../store/store.ts';
import { followRegistration, registeredSearchAttributeTypes } from './search-attribute-registry.ts';

test('a registration followed while the read of the registry fails leaves no unhandled rejection', async () => {
  let fail: (e: Error) => void = () => undefined;
  const read = new Promise<SearchAttributeTypes>((_, reject) => {
    fail = reject;
  });
  const store = { foreignWrites: () => 0, listSearchAttributes: () => read } as unknown as Store;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const types = registeredSearchAttributeTypes(store, 'default');
    const refused = assert.rejects(types, /disk gone/);
    // A write that registered a name commits while the read is still out.
    followRegistration(
      store,
      { namespace: 'default', types: { Customer: 'Keyword' } },
      Promise.resolve(),
    );
    await new Promise((resolve) => setImmediate(resolve));
    fail(new Error('disk gone'));
    await refused;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
