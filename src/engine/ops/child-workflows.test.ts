// A startChild timer fired twice at once (two engines on one SQLite file: the first one's timer
// lease ran out while it was still working) must start the child once and tell the parent it
// started, whichever firing loses the race to create it (child-workflows.ts, startFailure).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '../../client/index.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import { SqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store, TimerRecord } from '../../store/store.ts';
import { tempDir, uniqueQueue } from '../../../test/helpers/test-env.ts';
import type { EngineDeps } from '../deps.ts';
import { Engine } from '../engine.ts';
import { fireTimer } from './fire-timer.ts';

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}
function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * TEST-ONLY fault injection: `store` with hooks around its calls. Every call still goes to the
 * real store, unchanged: `before` may only hold the call back, and `after` may only note its
 * result and hold back its return to the caller. Each wrapper is its own object, so each also
 * gets its own run cache (engine/run-cache.ts), as a separate engine process would.
 */
function gated(
  store: Store,
  hooks: {
    before?: (method: string, req: unknown) => Promise<void>;
    after?: (method: string, req: unknown, result: unknown) => Promise<void> | void;
  },
): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      // The one synchronous method stays synchronous (a Promise would never equal a mark).
      if (prop === 'foreignWrites') return (value as () => number).bind(target);
      return async (...args: unknown[]) => {
        await hooks.before?.(prop, args[0]);
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(
          target,
          args,
        );
        await hooks.after?.(prop, args[0], result);
        return result;
      };
    },
  });
}

const runIdOf = (req: unknown): unknown => (req as { runId?: unknown } | undefined)?.runId;

describe('startChild timer fired twice at once', () => {
  let tmp: ReturnType<typeof tempDir>;
  let storeA: SqliteStore;
  let storeB: SqliteStore;
  let engine: Engine;
  let client: Client;
  // The engine's own timer loop is held at takeDueTimers until the end: the test fires the
  // startChild timer itself, as engines A and B, so that no third firing gets in the way.
  const timerLoopHeld = deferred();

  before(async () => {
    tmp = tempDir();
    const path = join(tmp.dir, 'shared.db');
    storeA = await SqliteStore.open({ path });
    storeB = await SqliteStore.open({ path });
    engine = await Engine.open({
      store: gated(storeA, {
        before: (method) =>
          method === 'takeDueTimers' ? timerLoopHeld.promise : Promise.resolve(),
      }),
    });
    client = new Client({ connection: engine.connection });
  });
  after(async () => {
    const closing = engine.close();
    timerLoopHeld.resolve();
    await closing;
    await storeA.close();
    await storeB.close();
    tmp.remove();
  });

  /** A parent run whose workflow task asked for a child: its startChild timer, not fired. */
  async function parentStartingChild(name: string) {
    const taskQueue = uniqueQueue('child-race');
    const parent = await client.workflow.start('parent', { taskQueue, workflowId: name });
    const task = await engine.connection.pollWorkflowTask({
      namespace: 'default',
      taskQueue,
      identity: 'test',
      waitMs: 5000,
    });
    assert.ok(task?.kind === 'workflow');
    const childWorkflowId = `${name}-child`;
    await engine.connection.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: 'test',
      commands: [
        {
          type: 'StartChildWorkflowExecution',
          seq: 1,
          workflowId: childWorkflowId,
          workflowType: 'child',
          taskQueue: uniqueQueue('child-race-child'), // no poller: the child stays Running
          args: [],
          parentClosePolicy: 'ABANDON',
        },
      ],
    });
    const { runId } = await parent.describe();
    const due = await storeA.takeDueTimers({ nowMs: Date.now(), limit: 100, leaseMs: 60_000 });
    const timer = due.find((t) => t.runId === runId && t.payload.kind === 'startChild');
    assert.ok(timer?.payload.kind === 'startChild');
    return { parent, childWorkflowId, timer, childRunId: timer.payload.childRunId };
  }

  /**
   * Fires `timer` as engine A and as engine B, forcing this interleaving with gates on their
   * store calls: A and B both look the child up and find it missing; A creates it; `between`
   * runs; B tries to create it and fails, and updates the parent; only then does A's create
   * return, and A updates the parent. (A is held inside its create, not at its parent update:
   * writers to one run take turns within a process, engine/update-run.ts, and A and B share one
   * here.)
   */
  async function fireTwice(
    timer: TimerRecord,
    childRunId: string,
    between: () => Promise<void>,
  ): Promise<{ a: PromiseSettledResult<void>; b: PromiseSettledResult<void> }> {
    const bFoundNoChild = deferred();
    const aCreatedChild = deferred();
    const bSettled = deferred();
    const depsA: EngineDeps = {
      ...engine.deps,
      store: gated(storeA, {
        before: async (method) => {
          if (method === 'createRun') await bFoundNoChild.promise;
        },
        after: async (method) => {
          if (method !== 'createRun') return;
          aCreatedChild.resolve();
          await bSettled.promise;
        },
      }),
    };
    const depsB: EngineDeps = {
      ...engine.deps,
      store: gated(storeB, {
        before: async (method) => {
          if (method !== 'createRun') return;
          await aCreatedChild.promise;
          await between();
        },
        after: (method, req, result) => {
          if (method === 'getRun' && runIdOf(req) === childRunId && result === undefined) {
            bFoundNoChild.resolve();
          }
        },
      }),
    };
    const a = fireTimer(depsA, timer);
    const b = fireTimer(depsB, timer).finally(() => {
      bSettled.resolve();
    });
    const [ra, rb] = await Promise.allSettled([a, b]);
    return { a: ra, b: rb };
  }

  const cases: { name: string; between: (childWorkflowId: string) => Promise<void> }[] = [
    // The reported race: B's create fails with AlreadyStarted naming the child A just created.
    { name: 'child-running', between: async () => {} },
    // The child already closed: B's insert clashes on the run id itself.
    {
      name: 'child-closed',
      between: (id) => client.workflow.getHandle(id).terminate('closed before B'),
    },
    // The child closed and its workflow id was taken again (as by a continue-as-new successor):
    // B's create fails with AlreadyStarted naming that other run.
    {
      name: 'child-closed-id-reused',
      between: async (id) => {
        await client.workflow.getHandle(id).terminate('closed before B');
        await client.workflow.start('child', { taskQueue: uniqueQueue('reuse'), workflowId: id });
      },
    },
  ];

  for (const c of cases) {
    test(`the loser records the child as started (${c.name})`, async () => {
      const { parent, childWorkflowId, timer, childRunId } = await parentStartingChild(c.name);

      const { a, b } = await fireTwice(timer, childRunId, () => c.between(childWorkflowId));

      for (const [who, r] of [
        ['A', a],
        ['B', b],
      ] as const) {
        assert.equal(
          r.status,
          'fulfilled',
          `firing ${who}: ${String(r.status === 'rejected' && r.reason)}`,
        );
      }
      const child = await storeA.getRun({ runId: childRunId });
      assert.ok(child, 'the child run exists');
      if (c.name === 'child-running') assert.equal(child.status, RunStatus.Running);
      const events = (await parent.fetchHistory()).events;
      assert.deepEqual(
        events.filter((e) => e.type.includes('Child')).map((e) => e.type),
        ['StartChildWorkflowExecutionInitiated', 'ChildWorkflowExecutionStarted'],
        'the parent sees its child start once, and no failed start',
      );
      const started = events.find((e) => e.type === 'ChildWorkflowExecutionStarted');
      assert.equal(started?.type === 'ChildWorkflowExecutionStarted' && started.runId, childRunId);
    });
  }
});
