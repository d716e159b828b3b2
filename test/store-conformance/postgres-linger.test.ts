// The PostgreSQL store's lingering appends (AppendToRunRequest.linger, ADR 0007): an append
// marked `linger` waits for its run's next write and commits with it, in one transaction.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RunConflictError } from '../../src/errors.ts';
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { RunRecord } from '../../src/store/store.ts';
import { freshSchema, openTestPostgresStore } from '../helpers/postgres.ts';
import { createRequest, makeRun } from './builders.ts';
import { signalAppend, signalsOf, turns } from './signal-appends.ts';

/** A window longer than any test: only another write, or close(), commits a held append. */
const FOREVER_MS = 3_600_000;

describe('PostgreSQL store: lingering appends', () => {
  let schema: string;
  let reader: PostgresStore;
  before(async () => {
    schema = freshSchema();
    reader = await openTestPostgresStore({ schema });
  });
  after(async () => {
    await reader.close();
  });

  async function withStore(
    lingerMs: number,
    fn: (store: PostgresStore, run: RunRecord) => Promise<void>,
  ): Promise<void> {
    const store = await openTestPostgresStore({ schema, lingerMs });
    try {
      const run = makeRun();
      await store.createRun(createRequest(run));
      await fn(store, run);
    } finally {
      await store.close();
    }
  }

  test("a lingering append waits for its run's next write, and both commit in one transaction", () =>
    withStore(FOREVER_MS, async (store, run) => {
      const before = store.writeTransactions;
      const first = signalAppend(run, 0, 'result', { linger: true });
      const held = store.appendToRun(first);
      await turns(20);
      assert.deepEqual(await signalsOf(reader, run), [], 'nothing written while it waits');
      await Promise.all([
        held,
        store.appendToRun(signalAppend(run, 1, 'answer', { after: first })),
      ]);
      assert.equal(store.writeTransactions - before, 1, 'one transaction for both');
      assert.deepEqual(await signalsOf(reader, run), ['result', 'answer']);
    }));

  test("a run's lingering appends wait together, and commit with its next write that does not linger", () =>
    withStore(FOREVER_MS, async (store, run) => {
      const before = store.writeTransactions;
      // A first answer that waits for its activity's result, and that result (ADR 0013).
      const answer = signalAppend(run, 0, 'answer', { linger: true });
      const result = signalAppend(run, 1, 'result', { linger: true, after: answer });
      const held = [store.appendToRun(answer), store.appendToRun(result)];
      await turns(20);
      assert.deepEqual(await signalsOf(reader, run), [], 'nothing written while they wait');
      await Promise.all([
        ...held,
        store.appendToRun(signalAppend(run, 2, 'next answer', { after: result })),
      ]);
      assert.equal(store.writeTransactions - before, 1, 'one transaction for the three');
      assert.deepEqual(await signalsOf(reader, run), ['answer', 'result', 'next answer']);
    }));

  test("a run's lingering appends commit together when the first one's window ends", () =>
    withStore(30, async (store, run) => {
      const before = store.writeTransactions;
      const answer = signalAppend(run, 0, 'answer', { linger: true });
      await Promise.all([
        store.appendToRun(answer),
        store.appendToRun(signalAppend(run, 1, 'result', { linger: true, after: answer })),
      ]);
      assert.equal(store.writeTransactions - before, 1);
      assert.deepEqual(await signalsOf(reader, run), ['answer', 'result']);
    }));

  test('a lingering append whose window ends commits alone', () =>
    withStore(30, async (store, run) => {
      const before = store.writeTransactions;
      await store.appendToRun(signalAppend(run, 0, 'result', { linger: true }));
      assert.equal(store.writeTransactions - before, 1);
      assert.deepEqual(await signalsOf(reader, run), ['result']);
    }));

  test('close() commits a lingering append before it closes the pool', async () => {
    const store = await openTestPostgresStore({ schema, lingerMs: FOREVER_MS });
    const run = makeRun();
    await store.createRun(createRequest(run));
    const held = store.appendToRun(signalAppend(run, 0, 'result', { linger: true }));
    await store.close();
    await held;
    assert.deepEqual(await signalsOf(reader, run), ['result']);
  });

  test('a held append that lost its compare-and-set fails the write decided on it; neither is written', () =>
    withStore(FOREVER_MS, async (store, run) => {
      const first = signalAppend(run, 0, 'result', { linger: true });
      const held = store.appendToRun(first);
      await turns(20);
      // Another engine moves the run on meanwhile: it wins, as the held append waits.
      await reader.appendToRun(signalAppend(run, 0, 'rival'));
      const next = store.appendToRun(signalAppend(run, 1, 'answer', { after: first }));
      await assert.rejects(held, RunConflictError);
      await assert.rejects(next, RunConflictError);
      assert.deepEqual(await signalsOf(reader, run), ['rival']);
    }));

  test(
    'a lingering append decided on a write that failed is not held: it fails at once',
    {
      timeout: 30_000,
    },
    () =>
      withStore(FOREVER_MS, async (store, run) => {
        // Lost to another engine's write, and not held (no linger): it fails at its commit.
        await reader.appendToRun(signalAppend(run, 0, 'rival'));
        const lost = signalAppend(run, 0, 'lost');
        await assert.rejects(store.appendToRun(lost), RunConflictError);
        // A write decided on it fails too, without waiting out its (hour-long) window.
        const next = signalAppend(run, 1, 'answer', { after: lost, linger: true });
        await assert.rejects(store.appendToRun(next), RunConflictError);
        assert.deepEqual(await signalsOf(reader, run), ['rival']);
      }),
  );

  test('a next write that loses its own compare-and-set fails alone: the held append commits', () =>
    withStore(FOREVER_MS, async (store, run) => {
      const held = store.appendToRun(signalAppend(run, 0, 'result', { linger: true }));
      await turns(20);
      assert.deepEqual(await signalsOf(reader, run), [], 'held');
      // Not decided on the held one: it expects the version before it.
      const stale = store.appendToRun(signalAppend(run, 0, 'stale'));
      await held;
      await assert.rejects(stale, RunConflictError);
      assert.deepEqual(await signalsOf(reader, run), ['result']);
    }));

  test('a write that creates a run does not share the held append’s transaction, and commits after it', () =>
    withStore(FOREVER_MS, async (store, run) => {
      const before = store.writeTransactions;
      const first = signalAppend(run, 0, 'result', { linger: true });
      const held = store.appendToRun(first);
      await turns(20);
      assert.deepEqual(await signalsOf(reader, run), [], 'held');
      const successor = makeRun({ workflowId: run.workflowId });
      const closing = signalAppend(run, 1, 'last', {
        after: first,
        status: 'ContinuedAsNew',
        closeTimeMs: 2_000,
        createRun: createRequest(successor),
      });
      await Promise.all([held, store.appendToRun(closing)]);
      assert.equal(store.writeTransactions - before, 2, 'two transactions');
      assert.deepEqual(await signalsOf(reader, run), ['result', 'last']);
      assert.equal((await reader.getRun({ runId: successor.runId }))?.status, 'Running');
    }));
});
