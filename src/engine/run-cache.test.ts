import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunStatus } from '../protocol/run-status.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import type { AppendToRunRequest, RunRecord } from '../store/store.ts';
import { RunCache } from './run-cache.ts';
import type { RunState } from './run-state.ts';

const row = (runId: string): { record: RunRecord; state: RunState } => {
  const state = { runId, status: RunStatus.Running, previousStartedEventId: 0 } as RunState;
  return { record: { runId, version: 1 } as RunRecord, state };
};

test('a full cache evicts the least recently used entry whose write is committed', () => {
  const cache = new RunCache();
  const lingering = {} as AppendToRunRequest;
  const first = row('lingering');
  cache.set(first.record, first.state, '{}', [], undefined, lingering);
  for (let i = 0; i < 5000; i++) {
    const r = row(`run-${i}`);
    cache.set(r.record, r.state, '{}', [], undefined);
  }
  assert.equal(cache.get('lingering')?.pending, lingering, 'ahead of the store: kept');
  assert.equal(cache.get('run-0'), undefined, 'the oldest committed one went instead');
  assert.ok(cache.get('run-1'));
  cache.committed('lingering', lingering);
  assert.equal(cache.get('lingering')?.pending, undefined);
});

test('a task is given the cached events frozen: no one can change the history the cache serves', () => {
  const cache = new RunCache();
  const r = row('frozen');
  const completed = {
    type: 'ActivityTaskCompleted',
    eventId: 1,
    timeMs: 0,
    scheduledEventId: 0,
    startedEventId: 0,
    result: { items: [1, 2] },
    // Not plain data (a memo may hold bytes): kept, not frozen (typed arrays cannot be).
    memo: { bytes: new Uint8Array([1]) },
  } as unknown as HistoryEvent;
  cache.set({ ...r.record, nextEventId: 2 }, r.state, '{}', [completed], undefined);
  const given = cache.eventsFrom('frozen', 1);
  assert.ok(given);
  const event = given[0] as unknown as { result: { items: number[] } };
  assert.throws(() => {
    event.result.items.push(3);
  }, TypeError);
  assert.throws(() => {
    event.result = { items: [] };
  }, TypeError);
  assert.deepEqual(
    (cache.eventsFrom('frozen', 1)?.[0] as unknown as { result: unknown }).result,
    { items: [1, 2] },
    'the next task gets the events as committed',
  );
  // The appended event may hold the caller's own objects (a start's memo): they stay its own.
  const own = completed as unknown as { result: { items: number[] } };
  assert.equal(Object.isFrozen(own.result), false, "the caller's objects are not frozen");
  own.result.items.push(3);
  assert.deepEqual(
    (cache.eventsFrom('frozen', 1)?.[0] as unknown as { result: unknown }).result,
    { items: [1, 2] },
    "a change the caller makes afterwards does not reach the cache's events",
  );
});

test('an entry keeps the row without its state, memo and search attributes: no object graph', () => {
  const cache = new RunCache();
  const r = row('json');
  const record = { ...r.record, state: r.state, memo: { note: 1 }, searchAttributes: { a: 1 } };
  cache.set(record, r.state, JSON.stringify(r.state), [], undefined);
  const hit = cache.get('json');
  assert.ok(hit);
  for (const key of ['state', 'memo', 'searchAttributes']) {
    assert.equal(key in hit.record, false, `the cached row keeps no ${key}`);
  }
  assert.deepEqual(JSON.parse(hit.stateJson), JSON.parse(JSON.stringify(r.state)));
});
