import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collectGarbage, collectGarbageNow } from '../../test/helpers/gc.ts';
import {
  CancellationScope,
  RootCancellationScope,
  cancelListenerCount,
  offCancelRequested,
  onCancelRequested,
} from './cancellation-scope.ts';

/** Runs every job queued so far, and the jobs they queue. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CancellationScope listeners', () => {
  test('run interleaved with reactions chained on cancelRequested, in the order each began, then are gone', async () => {
    const root = new RootCancellationScope();
    const order: string[] = [];
    onCancelRequested(root, () => order.push('first'));
    root.cancelRequested.catch(() => order.push('chained'));
    onCancelRequested(root, (reason) => {
      assert.ok(reason instanceof Error);
      order.push('second');
    });
    root.cancel();
    await settle();
    assert.deepEqual(order, ['first', 'chained', 'second']);
    assert.equal(cancelListenerCount(root), 0);
  });

  test('a listener taken back is not called, and the scope holds none', async () => {
    const root = new RootCancellationScope();
    const called: string[] = [];
    const settled = (): void => {
      called.push('settled');
    };
    onCancelRequested(root, settled);
    onCancelRequested(root, () => called.push('pending'));
    assert.equal(cancelListenerCount(root), 2);
    offCancelRequested(root, settled);
    assert.equal(cancelListenerCount(root), 1);
    root.cancel();
    await settle();
    assert.deepEqual(called, ['pending']);
  });

  test('a listener added once cancellation was requested runs after the ones queued then', async () => {
    const root = new RootCancellationScope();
    const order: string[] = [];
    onCancelRequested(root, () => order.push('before'));
    root.cancel();
    assert.equal(cancelListenerCount(root), 0, 'queued at once');
    root.cancelRequested.catch(() => order.push('chained after'));
    onCancelRequested(root, () => order.push('added after'));
    assert.equal(cancelListenerCount(root), 0, 'the one added after is queued on its own');
    await settle();
    assert.deepEqual(order, ['before', 'chained after', 'added after']);
  });

  test('a child scope hears its parent through a listener, and its own listeners follow', async () => {
    const root = new RootCancellationScope();
    const child = new CancellationScope({ parent: root });
    const shielded = new CancellationScope({ parent: root, cancellable: false });
    const order: string[] = [];
    onCancelRequested(child, () => order.push('child'));
    onCancelRequested(shielded, () => order.push('shielded'));
    onCancelRequested(root, () => order.push('root'));
    root.cancel();
    await settle();
    assert.deepEqual(order, ['root', 'child']);
    assert.equal(child.consideredCancelled, true);
    assert.equal(shielded.consideredCancelled, false);
  });

  test('child scopes nobody can reach are let go of; one whose cancelRequested code kept is not', async () => {
    const root = new RootCancellationScope();
    const seen: string[] = [];
    // Only the promise is kept: its scope, and the scope between it and the root, are not.
    new CancellationScope({
      parent: new CancellationScope({ parent: root }),
    }).cancelRequested.catch(() => seen.push('kept grandchild'));
    const held = new CancellationScope({ parent: root });
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) new CancellationScope({ parent: root });
      await collectGarbage();
    }
    // 202 children were made; the links of the collected ones were taken out after collection.
    assert.ok(cancelListenerCount(root) <= 4, `${cancelListenerCount(root)} listeners`);
    onCancelRequested(held, () => seen.push('held child'));
    root.cancel();
    await settle();
    assert.deepEqual(seen.sort(), ['held child', 'kept grandchild']);
  });

  test('a collection while cancellation is delivered loses no anchored child', async () => {
    const root = new RootCancellationScope();
    const seen: string[] = [];
    onCancelRequested(root, () => {
      seen.push('root');
      collectGarbageNow();
    });
    // Nothing but its listener holds the child (as with a Trigger awaited in it).
    onCancelRequested(new CancellationScope({ parent: root }), () => seen.push('child'));
    await collectGarbage();
    root.cancel();
    await settle();
    assert.deepEqual(seen, ['root', 'child']);
  });

  test('a listener added twice is one entry, and taking it back once lets its scope go', async () => {
    const root = new RootCancellationScope();
    const calls: string[] = [];
    const listener = (): void => {
      calls.push('called');
    };
    ((child: CancellationScope): void => {
      onCancelRequested(child, listener);
      onCancelRequested(child, listener);
      offCancelRequested(child, listener);
    })(new CancellationScope({ parent: root }));
    await collectGarbage();
    assert.equal(cancelListenerCount(root), 0, 'the child was let go of');
    root.cancel();
    await settle();
    assert.deepEqual(calls, []);
  });

  test('a listener anchors its scope and the scopes above it until it is taken back', async () => {
    const root = new RootCancellationScope();
    const seen: string[] = [];
    const listen = (): void => {
      seen.push('grandchild');
    };
    // Nothing but the listener holds the grandchild, or the child between it and the root.
    const grandchild = (): CancellationScope =>
      new CancellationScope({ parent: new CancellationScope({ parent: root }) });
    onCancelRequested(grandchild(), listen);
    ((released: CancellationScope): void => {
      const settled = (): void => {
        seen.push('taken back');
      };
      onCancelRequested(released, settled);
      offCancelRequested(released, settled);
    })(grandchild());
    await collectGarbage();
    assert.equal(cancelListenerCount(root), 1, 'the anchored child; the released one is gone');
    root.cancel();
    await settle();
    assert.deepEqual(seen, ['grandchild']);
  });
});
