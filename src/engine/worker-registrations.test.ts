import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store, WorkerRegistration } from '../store/store.ts';
import { counted } from '../../test/helpers/counted-store.ts';
import { WorkerRegistrations } from './worker-registrations.ts';

const dir = mkdtempSync(join(tmpdir(), 'reprise-registrations-'));

function registration(identity: string, workflowTypes: string[]): WorkerRegistration {
  return {
    namespace: 'default',
    taskQueue: 'q',
    identity,
    buildId: undefined,
    workflowTypes,
    activityTypes: [],
    signalNames: null,
    seenAtMs: Date.now(),
  };
}

/** The check of a start: refused when workers are registered and none knows `type`. */
function unknownType(type: string) {
  return (regs: readonly WorkerRegistration[]): Error | undefined =>
    regs.length === 0 || regs.some((r) => r.workflowTypes.includes(type))
      ? undefined
      : new Error(`unknown workflow type ${type}`);
}

describe('WorkerRegistrations', () => {
  let sqlite: SqliteStore;
  let store: Store;
  let calls: Map<string, number>;
  const reads = () => calls.get('listWorkerRegistrations') ?? 0;
  before(async () => {
    sqlite = await SqliteStore.open({ path: join(dir, 'registrations.db') });
    ({ store, calls } = counted(sqlite));
  });
  after(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a burst of checks that accept reads the queue once', async () => {
    await store.registerWorker(registration('a', ['known']));
    const view = new WorkerRegistrations(store);
    const before = reads();
    await Promise.all(
      Array.from({ length: 50 }, () => view.check('default', 'q', unknownType('known'))),
    );
    await view.check('default', 'q', unknownType('known'));
    assert.equal(reads() - before, 1);
  });

  test('a check that would refuse reads again, and accepts what another process just registered', async () => {
    const view = new WorkerRegistrations(store);
    await view.check('default', 'q', unknownType('known'));
    // Another engine process registers a worker that knows a new type.
    await store.registerWorker(registration('b', ['added']));
    const before = reads();
    await view.check('default', 'q', unknownType('added'));
    assert.equal(reads() - before, 1);
    await assert.rejects(
      view.check('default', 'q', unknownType('typo')),
      /unknown workflow type typo/,
    );
  });

  test('forget drops what was read for the queue', async () => {
    const view = new WorkerRegistrations(store);
    await view.check('default', 'q', unknownType('known'));
    view.forget('default', 'q');
    const before = reads();
    await view.check('default', 'q', unknownType('known'));
    assert.equal(reads() - before, 1);
  });
});
