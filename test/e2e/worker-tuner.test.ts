// The worker's `tuner`, as Temporal's: fixed-size suppliers bound each kind's tasks as the
// maxConcurrent… options do, a custom supplier is asked for each slot (reserveSlot before a poll
// or a local activity attempt, tryReserveSlot for an eager task) and told when a task uses it and
// when it is free, a resource-based one never exceeds its maximumSlots, and a tuner beside a
// maxConcurrent…Executions option, or of a bad shape, is refused at Worker.create.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError } from 'reprise/client';
import { Worker } from 'reprise/worker';
import type {
  CustomSlotSupplier,
  SlotInfo,
  SlotPermit,
  SlotReserveContext,
  WorkerOptions,
  WorkerTuner,
} from 'reprise/worker';
import { fanOut, localFanOut } from './fixtures/tuner-workflows.ts';
import type { TunerActivities } from './fixtures/tuner-workflows.ts';
import {
  fixturesPath,
  recordingLogger,
  startTestEnv,
  uniqueQueue,
  waitFor,
} from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

/** The activities, counting how many run at once; each returns once the test releases it. */
const held = {
  running: 0,
  most: 0,
  waiting: new Map<string, () => void>(),
};
const activities: TunerActivities = {
  hold(key) {
    held.running++;
    held.most = Math.max(held.most, held.running);
    return new Promise((resolve) => {
      held.waiting.set(key, () => {
        held.waiting.delete(key);
        held.running--;
        resolve(key);
      });
    });
  },
};

/**
 * Runs `run` (a workflow holding `n` activities at once), letting one activity return at a time
 * once `limit` of them run, and returns the most that ran at once.
 */
async function mostAtOnce(limit: number, n: number, run: () => Promise<string[]>): Promise<number> {
  held.most = 0;
  const result = run();
  await waitFor(() => held.running >= limit, `${limit} activities running`);
  for (let released = 0; released < n; released++) {
    await waitFor(() => held.waiting.size > 0, 'an activity waiting to return');
    const [next] = held.waiting.values();
    next?.();
  }
  assert.equal((await result).length, n);
  return held.most;
}

type SupplierEvent =
  | { call: 'reserve' | 'tryReserve'; id: number; ctx: SlotReserveContext }
  | { call: 'markUsed' | 'release'; id: number; info: SlotInfo | undefined };

interface Permit extends SlotPermit {
  id: number;
}

/** A custom supplier of at most `limit` slots that records every call. */
function limitedSupplier(
  limit: number,
  events: SupplierEvent[],
  opts: { pollsGetNone?: boolean; failFirstReserve?: boolean } = {},
): CustomSlotSupplier<SlotInfo> & { issued: () => number } {
  let issued = 0;
  let ids = 0;
  let failed = false;
  const waiters: (() => void)[] = [];
  const take = (call: 'reserve' | 'tryReserve', ctx: SlotReserveContext): Permit => {
    issued++;
    const id = ++ids;
    events.push({ call, id, ctx });
    return { id };
  };
  return {
    type: 'custom',
    issued: () => issued,
    async reserveSlot(ctx, abortSignal) {
      if (opts.failFirstReserve === true && !failed) {
        failed = true;
        throw new Error('the slot service is down');
      }
      while (opts.pollsGetNone === true || issued >= limit) {
        await new Promise<void>((resolve, reject) => {
          waiters.push(resolve);
          abortSignal.addEventListener(
            'abort',
            () => {
              reject(abortSignal.reason as Error);
            },
            { once: true },
          );
        });
      }
      return take('reserve', ctx);
    },
    tryReserveSlot(ctx) {
      return issued < limit ? take('tryReserve', ctx) : null;
    },
    markSlotUsed({ slotInfo, permit }) {
      events.push({ call: 'markUsed', id: (permit as Permit).id, info: slotInfo });
    },
    releaseSlot({ slotInfo, permit }) {
      issued--;
      events.push({ call: 'release', id: (permit as Permit).id, info: slotInfo });
      for (const w of waiters.splice(0)) w();
    },
  };
}

/**
 * Each permit's calls, in order: reserved (or try-reserved), then used by one task and released
 * with its info, or released unused (a poll that held it got nothing before the shutdown).
 */
function assertEachSlotInOrder(events: SupplierEvent[]): SlotInfo[] {
  const used: SlotInfo[] = [];
  const ids = [...new Set(events.map((e) => e.id))];
  for (const id of ids) {
    const calls = events.filter((e) => e.id === id);
    const names = calls.map((e) => e.call);
    const [first, mark, release] = calls;
    assert.ok(first?.call === 'reserve' || first?.call === 'tryReserve', `${id}: ${names.join()}`);
    if (calls.length === 2) {
      assert.deepEqual(mark, { call: 'release', id, info: undefined }, `${id}: released unused`);
      continue;
    }
    assert.deepEqual(names.slice(1), ['markUsed', 'release'], `permit ${id}`);
    assert.ok(mark?.call === 'markUsed' && release?.call === 'release');
    assert.ok(mark.info !== undefined);
    assert.deepEqual(release.info, mark.info, 'released with the info it was used with');
    used.push(mark.info);
  }
  return used;
}

describe('worker tuner', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'tuner-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  async function withWorker<R>(
    extra: Partial<WorkerOptions>,
    body: (taskQueue: string) => Promise<R>,
  ): Promise<R> {
    const taskQueue = uniqueQueue('tuner');
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue,
      workflowsPath: fixturesPath('tuner-workflows.ts'),
      activities,
      ...extra,
    });
    const running = worker.run();
    try {
      return await body(taskQueue);
    } finally {
      await worker.shutdown();
      await running;
    }
  }

  const fixed = (activity: number, local = 100): WorkerTuner => ({
    workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 10 },
    activityTaskSlotSupplier: { type: 'fixed-size', numSlots: activity },
    localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: local },
  });

  test('fixed-size suppliers hold each kind to their numSlots, as maxConcurrent… options do', async () => {
    const activityMost = await withWorker({ tuner: fixed(2) }, (taskQueue) =>
      mostAtOnce(2, 5, () =>
        env.client.workflow.execute(fanOut, {
          workflowId: 'tuner-fixed-activities',
          taskQueue,
          args: ['fixed', 5],
        }),
      ),
    );
    assert.equal(activityMost, 2);
    const localMost = await withWorker({ tuner: fixed(100, 2) }, (taskQueue) =>
      mostAtOnce(2, 4, () =>
        env.client.workflow.execute(localFanOut, {
          workflowId: 'tuner-fixed-local',
          taskQueue,
          args: ['fixed-local', 4],
        }),
      ),
    );
    assert.equal(localMost, 2);
  });

  test('a custom supplier is asked for each slot, told of its task and of its release, in order, and its limit holds', async () => {
    const events = { workflow: [], activity: [], local: [] } as Record<string, SupplierEvent[]>;
    const suppliers = {
      workflow: limitedSupplier(2, events['workflow']!),
      activity: limitedSupplier(2, events['activity']!),
      local: limitedSupplier(1, events['local']!),
    };
    let taskQueue = '';
    const most = await withWorker(
      {
        buildId: 'tuned-1',
        identity: 'tuned-worker',
        tuner: {
          workflowTaskSlotSupplier: suppliers.workflow,
          activityTaskSlotSupplier: suppliers.activity,
          localActivityTaskSlotSupplier: suppliers.local,
        },
      },
      async (queue) => {
        taskQueue = queue;
        const activityMost = await mostAtOnce(2, 5, () =>
          env.client.workflow.execute(fanOut, {
            workflowId: 'tuner-custom-activities',
            taskQueue,
            args: ['custom', 5],
          }),
        );
        const localMost = await mostAtOnce(1, 3, () =>
          env.client.workflow.execute(localFanOut, {
            workflowId: 'tuner-custom-local',
            taskQueue,
            args: ['custom-local', 3],
          }),
        );
        return { activityMost, localMost };
      },
    );
    assert.deepEqual(most, { activityMost: 2, localMost: 1 });
    for (const s of Object.values(suppliers)) assert.equal(s.issued(), 0, 'every slot given back');

    const activityInfos = assertEachSlotInOrder(events['activity']!);
    assert.equal(activityInfos.length, 5);
    assert.ok(activityInfos.every((i) => i.type === 'activity' && i.activityType === 'hold'));
    const localInfos = assertEachSlotInOrder(events['local']!);
    assert.deepEqual(
      localInfos,
      Array.from({ length: 3 }, () => ({ type: 'local-activity', activityType: 'hold' })),
    );
    const workflowInfos = assertEachSlotInOrder(events['workflow']!);
    assert.ok(workflowInfos.length >= 2);
    for (const info of workflowInfos) {
      assert.ok(info.type === 'workflow');
      assert.ok(info.workflowType === 'fanOut' || info.workflowType === 'localFanOut');
    }
    const reserve = events['activity']!.find((e) => e.call === 'reserve');
    assert.deepEqual(reserve?.call === 'reserve' && reserve.ctx, {
      slotType: 'activity',
      taskQueue,
      workerIdentity: 'tuned-worker',
      workerBuildId: 'tuned-1',
      isSticky: false,
    });
  });

  test('an activity that comes eagerly takes its slot from tryReserveSlot', async () => {
    const events: SupplierEvent[] = [];
    // Polls never get an activity slot: only eager dispatch can run the activity.
    const supplier = limitedSupplier(5, events, { pollsGetNone: true });
    await withWorker(
      {
        tuner: { ...fixed(1), activityTaskSlotSupplier: supplier },
      },
      (taskQueue) =>
        mostAtOnce(1, 1, () =>
          env.client.workflow.execute(fanOut, {
            workflowId: 'tuner-eager',
            taskQueue,
            args: ['eager', 1],
          }),
        ),
    );
    assert.deepEqual(
      events.map((e) => e.call),
      ['tryReserve', 'markUsed', 'release'],
    );
  });

  test('a reserveSlot that throws is logged and asked again', async () => {
    const events: SupplierEvent[] = [];
    const { logger, errors } = recordingLogger();
    await withWorker(
      {
        logger,
        tuner: {
          ...fixed(1),
          activityTaskSlotSupplier: limitedSupplier(1, events, { failFirstReserve: true }),
        },
        // Eager dispatch would not ask reserveSlot.
        maxConcurrentActivityTaskPolls: 1,
      },
      (taskQueue) =>
        mostAtOnce(1, 2, () =>
          env.client.workflow.execute(fanOut, {
            workflowId: 'tuner-reserve-throws',
            taskQueue,
            args: ['throws', 2],
          }),
        ),
    );
    assert.ok(
      errors.some((m) => m.includes("activity slot supplier's reserveSlot threw; asking again")),
      errors.join('\n'),
    );
    assertEachSlotInOrder(events);
  });

  test('shutdown does not wait for a reserveSlot that ignores its abortSignal', async () => {
    let asked = 0;
    const released: unknown[] = [];
    let handOut: (permit: SlotPermit) => void = () => undefined;
    const worker = await Worker.create({
      connection: env.engine.connection,
      taskQueue: uniqueQueue('tuner-deaf'),
      activities,
      tuner: {
        ...fixed(1),
        activityTaskSlotSupplier: {
          type: 'custom',
          reserveSlot: () => {
            asked++;
            // Never rejects on its abortSignal; the first settles only after the shutdown.
            return asked === 1
              ? new Promise((resolve) => (handOut = resolve))
              : new Promise(() => undefined);
          },
          tryReserveSlot: () => null,
          markSlotUsed: () => undefined,
          releaseSlot: ({ permit }) => {
            released.push(permit);
          },
        },
      },
    });
    const running = worker.run();
    await waitFor(() => asked === 10, 'every poll asking for a slot');
    await worker.shutdown();
    await running;
    assert.equal(worker.getState(), 'STOPPED');
    handOut({ late: true });
    await waitFor(() => released.length === 1, 'the late permit given back');
    assert.deepEqual(released, [{ late: true }]);
  });

  test('resource-based slots never exceed their maximumSlots', async () => {
    const most = await withWorker(
      {
        tuner: {
          ...fixed(1),
          activityTaskSlotSupplier: {
            type: 'resource-based',
            tunerOptions: { targetMemoryUsage: 1, targetCpuUsage: 1 },
            minimumSlots: 1,
            maximumSlots: 2,
            rampThrottle: 0,
          },
        },
      },
      (taskQueue) =>
        mostAtOnce(1, 4, () =>
          env.client.workflow.execute(fanOut, {
            workflowId: 'tuner-resource',
            taskQueue,
            args: ['resource', 4],
          }),
        ),
    );
    assert.ok(most >= 1 && most <= 2, `${most} at once`);
  });

  async function refused(extra: Partial<WorkerOptions>, message: RegExp): Promise<void> {
    await assert.rejects(
      Worker.create({
        connection: env.engine.connection,
        taskQueue: uniqueQueue('tuner-refused'),
        workflowsPath: fixturesPath('tuner-workflows.ts'),
        activities,
        ...extra,
      }),
      (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
    );
  }

  test('a tuner beside a maxConcurrent…Executions option is refused, as Temporal', async () => {
    for (const name of [
      'maxConcurrentWorkflowTaskExecutions',
      'maxConcurrentActivityTaskExecutions',
      'maxConcurrentLocalActivityExecutions',
    ]) {
      await refused(
        { tuner: fixed(2), [name]: 5 },
        new RegExp(`Cannot set both tuner and ${name}`),
      );
    }
  });

  test('a tuner of a bad shape is refused', async () => {
    await refused({ tuner: fixed(0) }, /tuner is not a tuner: .*numSlots/);
    await refused(
      {
        tuner: {
          ...fixed(1),
          activityTaskSlotSupplier: { type: 'custom', reserveSlot: () => Promise.resolve({}) },
        } as unknown as WorkerTuner,
      },
      /tuner is not a tuner: .*tryReserveSlot/,
    );
    await refused(
      { tuner: { tunerOptions: { targetMemoryUsage: 1.5, targetCpuUsage: 0.5 } } },
      /tuner is not a tuner: .*targetMemoryUsage/,
    );
    await refused(
      {
        tuner: {
          tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: 0.9 },
          activityTaskSlotOptions: { minimumSlots: 5, maximumSlots: 2 },
        },
      },
      /minimumSlots \(5\) exceeds their maximumSlots \(2\)/,
    );
    const rb = (cpu: number) =>
      ({
        type: 'resource-based',
        tunerOptions: { targetMemoryUsage: 0.8, targetCpuUsage: cpu },
      }) as const;
    await refused(
      {
        tuner: {
          workflowTaskSlotSupplier: rb(0.9),
          activityTaskSlotSupplier: rb(0.8),
          localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
        },
      },
      /different tunerOptions/,
    );
  });
});
