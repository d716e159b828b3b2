import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TaskKind } from '../../protocol/tasks.ts';
import type { TaskRecord } from '../../store/store.ts';
import { makeReadAhead, READ_AHEAD_MAX_AGE_MS, readAheadKey } from './read-ahead.ts';

const tasks = (...ids: number[]): TaskRecord[] =>
  ids.map((taskId) => ({
    taskId,
    namespace: 'default',
    taskQueue: 'q',
    kind: TaskKind.Workflow,
    runId: `run-${String(taskId)}`,
    scheduledEventId: 2,
    attempt: 1,
  }));
const none = (): boolean => false;

test('kept tasks are taken oldest first, each once, per queue', () => {
  const ahead = makeReadAhead();
  ahead.keep('a', tasks(3, 5, 8), 0, ahead.generation);
  ahead.keep('b', tasks(4), 0, ahead.generation);
  assert.equal(ahead.take('a', none, 1)?.taskId, 3);
  assert.equal(ahead.take('b', none, 1)?.taskId, 4);
  assert.equal(ahead.take('a', none, 1)?.taskId, 5);
  assert.equal(ahead.take('a', none, 1)?.taskId, 8);
  assert.equal(ahead.take('a', none, 1), undefined);
  assert.equal(ahead.take('b', none, 1), undefined);
});

test('a task another poll is starting is passed over', () => {
  const ahead = makeReadAhead();
  ahead.keep('a', tasks(3, 5, 8), 0, ahead.generation);
  assert.equal(ahead.take('a', (id) => id !== 8, 1)?.taskId, 8);
  assert.equal(ahead.take('a', none, 1), undefined, 'the ones passed over are not kept');
});

test('a read keeps what it found in place of what was kept; an empty read keeps nothing', () => {
  const ahead = makeReadAhead();
  ahead.keep('a', tasks(3, 5), 0, ahead.generation);
  ahead.keep('a', tasks(9), 0, ahead.generation);
  assert.equal(ahead.take('a', none, 1)?.taskId, 9);
  ahead.keep('a', tasks(10), 0, ahead.generation);
  ahead.keep('a', [], 0, ahead.generation);
  assert.equal(ahead.take('a', none, 1), undefined);
});

test('kept tasks are used only while they are fresh, and forget drops every queue', () => {
  const ahead = makeReadAhead();
  ahead.keep('a', tasks(3, 5), 1_000, ahead.generation);
  assert.equal(ahead.take('a', none, 1_000 + READ_AHEAD_MAX_AGE_MS)?.taskId, 3);
  assert.equal(ahead.take('a', none, 1_001 + READ_AHEAD_MAX_AGE_MS), undefined, 'too old');
  ahead.keep('a', tasks(6), 2_000, ahead.generation);
  ahead.keep('b', tasks(7), 2_000, ahead.generation);
  ahead.forget();
  assert.equal(ahead.take('a', none, 2_000), undefined);
  assert.equal(ahead.take('b', none, 2_000), undefined);
});

test('queues no poll came back to are dropped once many are kept', () => {
  const ahead = makeReadAhead();
  for (let i = 0; i < 100; i++) ahead.keep(`old-${String(i)}`, tasks(i + 1), 0, ahead.generation);
  ahead.keep('fresh', tasks(500), READ_AHEAD_MAX_AGE_MS + 1, ahead.generation);
  for (const i of [0, 50, 99]) {
    assert.equal(ahead.take(`old-${String(i)}`, none, 0), undefined, `old-${String(i)} dropped`);
  }
  assert.equal(ahead.take('fresh', none, READ_AHEAD_MAX_AGE_MS + 1)?.taskId, 500);
});

test('a read that a forget overtook keeps nothing: a task freed meanwhile may be missing from it', () => {
  const ahead = makeReadAhead();
  const readAt = ahead.generation;
  ahead.forget();
  ahead.keep('a', tasks(5, 8), 0, readAt);
  assert.equal(ahead.take('a', none, 0), undefined);
  ahead.keep('a', tasks(5, 8), 0, ahead.generation);
  assert.equal(ahead.take('a', none, 0)?.taskId, 5);
});

test('kept tasks read "later" than now, as after a clock set back, are not used', () => {
  const ahead = makeReadAhead();
  ahead.keep('a', tasks(5), 10_000, ahead.generation);
  assert.equal(ahead.take('a', none, 9_000), undefined);
});

test('a task queued more urgent than a kept one forgets the kept tasks; one no more urgent keeps them', () => {
  const ahead = makeReadAhead();
  const kept = (priority: number, ...ids: number[]) =>
    tasks(...ids).map((t) => ({ ...t, priority }));
  const queue = { namespace: 'default', taskQueue: 'q', kind: TaskKind.Workflow };
  const key = readAheadKey(queue.namespace, queue.taskQueue, queue.kind);
  ahead.keep(key, [...kept(1, 3), ...kept(3, 5, 8)], 0, ahead.generation);
  ahead.queued({ ...queue, priority: 3 });
  ahead.queued({ ...queue }); // no key: 3
  ahead.queued({ ...queue, taskQueue: 'other', priority: 1 });
  assert.equal(ahead.take(key, none, 1)?.taskId, 3, 'a task of key 3 goes after the kept ones');
  const before = ahead.generation;
  ahead.queued({ ...queue, priority: 2 });
  assert.equal(ahead.take(key, none, 1), undefined, 'a task of key 2 goes before the kept 3s');
  assert.notEqual(ahead.generation, before, 'a read under way keeps nothing either');
});

test('a queue a read found empty is known empty until a task is queued there, forget or time', () => {
  const ahead = makeReadAhead();
  const key = readAheadKey('default', 'q', TaskKind.Workflow);
  const queuedHere = { namespace: 'default', taskQueue: 'q', kind: TaskKind.Workflow };
  ahead.keep(key, [], 0, ahead.startRead(key), true);
  assert.equal(ahead.knownEmpty(key, 1), true);
  ahead.queued({ ...queuedHere, taskQueue: 'other' });
  assert.equal(ahead.knownEmpty(key, 1), true, 'a task of another queue');
  ahead.queued(queuedHere);
  assert.equal(ahead.knownEmpty(key, 1), false);

  ahead.keep(key, [], 0, ahead.startRead(key), true);
  assert.equal(ahead.knownEmpty(key, 1 + READ_AHEAD_MAX_AGE_MS), false, 'too old');
  ahead.keep(key, [], 0, ahead.startRead(key), true);
  ahead.forget();
  assert.equal(ahead.knownEmpty(key, 1), false, 'forgotten');
  ahead.keep(key, [], 0, ahead.startRead(key), false);
  assert.equal(ahead.knownEmpty(key, 1), false, 'a read that stopped at its limit');
  ahead.keep(key, tasks(4), 0, ahead.startRead(key), true);
  assert.equal(ahead.knownEmpty(key, 1), false, 'tasks kept');
});

test('a task queued while the queue is read keeps it from being known empty', () => {
  const ahead = makeReadAhead();
  const key = readAheadKey('default', 'q', TaskKind.Workflow);
  const readAt = ahead.startRead(key);
  ahead.queued({ namespace: 'default', taskQueue: 'q', kind: TaskKind.Workflow });
  ahead.keep(key, [], 0, readAt, true);
  assert.equal(ahead.knownEmpty(key, 1), false);
});

test('a task put back is taken again before the kept ones, and its queue is not known empty', () => {
  const ahead = makeReadAhead();
  ahead.keep('a', tasks(3, 5, 8), 0, ahead.generation);
  const taken = ahead.take('a', none, 1);
  assert.equal(taken?.taskId, 3);
  assert.ok(taken);
  ahead.putBack('a', taken);
  assert.equal(ahead.take('a', none, 1)?.taskId, 3, 'the one just taken');

  // The first task of a read is not among those it kept: it goes in front of them.
  const [first, ...rest] = tasks(10, 11, 12);
  assert.ok(first);
  ahead.keep('a', rest, 0, ahead.generation);
  ahead.putBack('a', first);
  assert.deepEqual(
    [1, 2, 3].map(() => ahead.take('a', none, 1)?.taskId),
    [10, 11, 12],
  );

  // A read that found one task knew the queue empty behind it.
  const key = readAheadKey('default', 'q', TaskKind.Workflow);
  ahead.keep(key, [], 0, ahead.startRead(key), true);
  ahead.putBack(key, first);
  assert.equal(ahead.knownEmpty(key, 1), false);
});

test('beside another engine no task is kept, but which queues are known empty is, until alone again', () => {
  const ahead = makeReadAhead();
  const key = readAheadKey('default', 'q', TaskKind.Workflow);
  ahead.keep('a', tasks(3, 5), 0, ahead.generation);
  ahead.keep(key, [], 0, ahead.startRead(key), true);
  ahead.sharedStore(true);
  assert.equal(ahead.take('a', none, 1), undefined);
  assert.equal(ahead.knownEmpty(key, 1), true);
  ahead.sharedStore(false);
  assert.equal(ahead.knownEmpty(key, 1), false, 'alone again');
});
