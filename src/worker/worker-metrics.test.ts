import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ApplicationFailure,
  ApplicationFailureCategory,
  Context,
  metricMeter as activityMetricMeter,
} from '../activity/index.ts';
import { WorkflowFailedError } from '../client/errors.ts';
import { meterFrom } from '../common/metrics.ts';
import type { MetricMeter } from '../common/metrics.ts';
import { ManualClock } from '../engine/clock.ts';
import type { Logger } from '../logger.ts';
import { MockActivityEnvironment } from '../testing/mock-activity-environment.ts';
import {
  continued,
  counted,
  countedSoFar,
  echoed,
  echoedOn,
  failed,
  negative,
  withActivities,
  withLocalActivities,
} from '../../test/e2e/fixtures/metric-workflows.ts';
import { recordingMeter, valuesOf } from '../../test/helpers/recording-meter.ts';
import { fixturesPath, startTestEnv, uniqueQueue, waitFor } from '../../test/helpers/test-env.ts';
import type { TestEnv } from '../../test/helpers/test-env.ts';
import { WorkerMetricName as N } from './worker-metrics.ts';

const activities = {
  measured: () => {
    Context.current().metricMeter.createCounter('emails_sent').add(2, { kind: 'welcome' });
    activityMetricMeter.createHistogram('upload_bytes').record(512);
    activityMetricMeter.createUpDownCounter('uploads_queued').add(-3);
    return Promise.resolve();
  },
  failing: () => Promise.reject(ApplicationFailure.nonRetryable('down', 'Down')),
  benign: () =>
    Promise.reject(
      ApplicationFailure.create({
        message: 'expected',
        nonRetryable: true,
        category: ApplicationFailureCategory.BENIGN,
      }),
    ),
};

describe('workflow metricMeter', () => {
  test('a value recorded in workflow code reaches the worker meter once per real execution, not again on replay', async () => {
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      maxCachedWorkflows: 0, // every task replays the run's history
      worker: { metricMeter: meter },
    });
    try {
      const handle = await env.client.workflow.start(counted, {
        taskQueue: env.taskQueue,
        workflowId: 'counted',
      });
      assert.equal(await handle.result(), 'done');
      assert.ok(env.worker.getStatus().workflowTasksReplayed >= 2, 'the second task replayed');
      const base = { namespace: 'default', taskQueue: env.taskQueue, workflowType: 'counted' };
      assert.deepEqual(valuesOf(values, 'steps'), [
        { value: 1, tags: { ...base, flow: 'counted', step: 'start' } },
        { value: 1, tags: { ...base, flow: 'counted', step: 'after-sleep' } },
      ]);
      assert.deepEqual(valuesOf(values, 'order_amount'), [{ value: 12.5, tags: base }]);
      assert.equal(values.find((v) => v.name === 'order_amount')?.unit, 'EUR');
      assert.deepEqual(valuesOf(values, 'queue_depth'), [
        { value: 3, tags: { ...base, queue: 'a' } },
      ]);
      // A query handler runs for real, even in a run rebuilt from history for it.
      assert.equal(await handle.query(countedSoFar), 'ok');
      assert.deepEqual(
        valuesOf(values, 'steps').map((v) => v.tags['step']),
        ['start', 'after-sleep', 'query'],
      );
    } finally {
      await env.close();
    }
  });

  test('a negative counter value fails the workflow task, as in Temporal', async () => {
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      worker: { metricMeter: meter },
    });
    try {
      await env.client.workflow.start(negative, {
        taskQueue: env.taskQueue,
        workflowId: 'negative',
      });
      await waitFor(
        () => valuesOf(values, N.workflowTaskExecutionFailed).length > 0,
        'the failed workflow task to be counted',
      );
      assert.deepEqual(valuesOf(values, 'steps'), []);
    } finally {
      await env.close();
    }
  });

  test('without a metricMeter, workflow code records into nothing and runs as before', async () => {
    const env = await startTestEnv({ workflows: 'metric-workflows.ts' });
    try {
      const result = await env.client.workflow.execute(counted, {
        taskQueue: env.taskQueue,
        workflowId: 'counted-noop',
      });
      assert.equal(result, 'done');
    } finally {
      await env.close();
    }
  });
});

describe('activity metricMeter', () => {
  test('Context.current().metricMeter records with the tags namespace, taskQueue and activityType', async () => {
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      activities,
      worker: { metricMeter: meter },
    });
    try {
      await env.client.workflow.execute(withActivities, {
        taskQueue: env.taskQueue,
        workflowId: 'with-activities',
      });
      const base = { namespace: 'default', taskQueue: env.taskQueue, activityType: 'measured' };
      assert.deepEqual(valuesOf(values, 'emails_sent'), [
        { value: 2, tags: { ...base, kind: 'welcome' } },
      ]);
      assert.deepEqual(valuesOf(values, 'upload_bytes'), [{ value: 512, tags: base }]);
      assert.deepEqual(valuesOf(values, 'uploads_queued'), [{ value: -3, tags: base }]);
    } finally {
      await env.close();
    }
  });

  test('MockActivityEnvironment takes a metricMeter, tagged from its info', async () => {
    const { meter, values } = recordingMeter();
    const env = new MockActivityEnvironment(
      { activityType: 'measured', taskQueue: 'mock' },
      { metricMeter: meter },
    );
    await env.run(activities.measured);
    const base = { namespace: 'default', taskQueue: 'mock', activityType: 'measured' };
    assert.deepEqual(valuesOf(values, 'emails_sent'), [
      { value: 2, tags: { ...base, kind: 'welcome' } },
    ]);
  });
});

describe('worker metrics', () => {
  test('closes of runs are counted by how they closed, tagged with the workflow type', async () => {
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      worker: { metricMeter: meter },
    });
    try {
      const opts = { taskQueue: env.taskQueue };
      await env.client.workflow.execute(counted, { ...opts, workflowId: 'ok' });
      await assert.rejects(
        env.client.workflow.execute(failed, { ...opts, workflowId: 'failed' }),
        WorkflowFailedError,
      );
      await env.client.workflow.execute(continued, { ...opts, workflowId: 'can', args: [2] });
      const tags = (workflowType: string) => ({
        namespace: 'default',
        taskQueue: env.taskQueue,
        workflowType,
      });
      assert.deepEqual(valuesOf(values, N.workflowCompleted), [
        { value: 1, tags: tags('counted') },
        { value: 1, tags: tags('continued') },
      ]);
      assert.deepEqual(valuesOf(values, N.workflowFailed), [{ value: 1, tags: tags('failed') }]);
      assert.deepEqual(valuesOf(values, N.workflowContinueAsNew), [
        { value: 1, tags: tags('continued') },
        { value: 1, tags: tags('continued') },
      ]);
      // One latency per workflow task answered, each a duration in ms.
      const latencies = valuesOf(values, N.workflowTaskExecutionLatency);
      assert.ok(latencies.length >= 6, `${latencies.length} workflow task latencies`);
      assert.ok(latencies.every((l) => l.value >= 0 && l.tags['workflowType'] !== undefined));
      assert.equal(values.find((v) => v.name === N.workflowTaskExecutionLatency)?.unit, 'ms');
      assert.deepEqual(valuesOf(values, N.workflowTaskExecutionFailed), []);
    } finally {
      await env.close();
    }
  });

  test('activity attempts: a latency for each that ended, a failure for each that failed but not BENIGN', async () => {
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      activities,
      worker: { metricMeter: meter },
    });
    try {
      const result = await env.client.workflow.execute(withActivities, {
        taskQueue: env.taskQueue,
        workflowId: 'activity-metrics',
      });
      assert.equal(result, 'failed,failed');
      const latencies = valuesOf(values, N.activityExecutionLatency);
      // Tagged with the activity's type and its workflow's, as Temporal core tags them.
      assert.deepEqual(
        latencies.map((l) => [l.tags['activityType'], l.tags['workflowType']]),
        [
          ['measured', 'withActivities'],
          ['failing', 'withActivities'],
          ['benign', 'withActivities'],
        ],
      );
      assert.ok(latencies.every((l) => l.value >= 0));
      assert.deepEqual(valuesOf(values, N.activityExecutionFailed), [
        {
          value: 1,
          tags: {
            namespace: 'default',
            taskQueue: env.taskQueue,
            activityType: 'failing',
            workflowType: 'withActivities',
          },
        },
      ]);
    } finally {
      await env.close();
    }
  });

  test('local activity attempts: each counted, its latency, and its failure, cancellation or end-to-end latency, as Temporal core', async () => {
    const { meter, values } = recordingMeter();
    let waitStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      waitStarted = resolve;
    });
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      activities: {
        ...activities,
        flaky: () => {
          const { attempt } = Context.current().info;
          return attempt < 3 ? Promise.reject(new Error('not yet')) : Promise.resolve(attempt);
        },
        waitForCancel: async () => {
          waitStarted();
          await Context.current().sleep(10_000);
        },
        afterWaitStarted: async () => {
          await started;
          return 'started';
        },
        overrunning: () => Context.current().sleep(10_000),
      },
      worker: { metricMeter: meter },
    });
    try {
      const result = await env.client.workflow.execute(withLocalActivities, {
        taskQueue: env.taskQueue,
        workflowId: 'local-activity-metrics',
      });
      assert.equal(result, '3,failed,failed,failed,started,cancelled');
      const tags = (activityType: string) => ({
        namespace: 'default',
        taskQueue: env.taskQueue,
        activityType,
        workflowType: 'withLocalActivities',
      });
      const types = (name: string) => valuesOf(values, name).map((v) => v.tags['activityType']);
      for (const v of valuesOf(values, N.localActivityTotal)) {
        assert.deepEqual(v, { value: 1, tags: tags(String(v.tags['activityType'])) });
      }
      const attempts = ['flaky', 'flaky', 'flaky', 'failing', 'benign', 'overrunning'];
      const all = [...attempts, 'waitForCancel', 'afterWaitStarted'];
      assert.deepEqual(types(N.localActivityTotal).sort(), [...all].sort());
      assert.deepEqual(types(N.localActivityExecutionLatency).sort(), [...all].sort());
      // Not the BENIGN failure; the timeout counts, as in Temporal core.
      assert.deepEqual(types(N.localActivityExecutionFailed), [
        'flaky',
        'flaky',
        'failing',
        'overrunning',
      ]);
      assert.deepEqual(valuesOf(values, N.localActivityExecutionCancelled), [
        { value: 1, tags: tags('waitForCancel') },
      ]);
      assert.deepEqual(types(N.localActivitySucceedEndToEndLatency).sort(), [
        'afterWaitStarted',
        'flaky',
      ]);
      const latencies = values.filter(
        (v) => v.name.startsWith('reprise_local_activity_') && v.kind === 'histogram',
      );
      assert.ok(latencies.every((v) => v.value >= 0 && v.unit === 'ms'));
      // The third flaky attempt's end-to-end latency spans the two before it.
      const flaky = (name: string) =>
        valuesOf(values, name).filter((v) => v.tags['activityType'] === 'flaky');
      const e2e = flaky(N.localActivitySucceedEndToEndLatency)[0]?.value ?? 0;
      const ran = flaky(N.localActivityExecutionLatency).reduce((sum, v) => sum + v.value, 0);
      assert.ok(e2e >= ran - 1, `end-to-end ${e2e} ms, attempts ${ran} ms`);
    } finally {
      await env.close();
    }
  });

  test('schedule-to-start latencies: how long a workflow task and an activity waited for a worker, on the engine clock', async () => {
    const clock = new ManualClock();
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({ clock, workflows: 'metric-workflows.ts' });
    try {
      const workflows = uniqueQueue('late-workflows');
      const activityQueue = uniqueQueue('late-activities');
      const handle = await env.client.workflow.start(echoedOn, {
        taskQueue: workflows,
        workflowId: 'late',
        args: [activityQueue, 'hi'],
      });
      // Its first workflow task waits 5 s for a worker, its activity 3 s.
      clock.advance(5000);
      await env.startWorker({ taskQueue: workflows, metricMeter: meter });
      await waitFor(
        async () =>
          (await handle.fetchHistory()).events.some((e) => e.type === 'ActivityTaskScheduled'),
        'the activity to be scheduled',
      );
      clock.advance(3000);
      await env.startWorker({
        taskQueue: activityQueue,
        workflowsPath: undefined,
        activities: { echo: (text: string) => Promise.resolve(`echo ${text}`) },
        metricMeter: meter,
      });
      assert.equal(await handle.result(), 'echo hi');
      assert.deepEqual(valuesOf(values, N.workflowTaskScheduleToStartLatency), [
        { value: 5000, tags: { namespace: 'default', taskQueue: workflows } },
        { value: 0, tags: { namespace: 'default', taskQueue: workflows } },
      ]);
      assert.deepEqual(valuesOf(values, N.activityScheduleToStartLatency), [
        { value: 3000, tags: { namespace: 'default', taskQueue: activityQueue } },
      ]);
      assert.equal(values.find((v) => v.name === N.activityScheduleToStartLatency)?.unit, 'ms');
    } finally {
      await env.close();
    }
  });

  test('the sticky cache size and the free task slots are set as tasks start and end', async () => {
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      activities,
      worker: {
        metricMeter: meter,
        maxConcurrentWorkflowTaskExecutions: 4,
        maxConcurrentWorkflowTaskPolls: 1,
        maxConcurrentActivityTaskExecutions: 3,
        maxConcurrentActivityTaskPolls: 1,
      },
    });
    try {
      await env.client.workflow.execute(counted, {
        taskQueue: env.taskQueue,
        workflowId: 'cached',
      });
      await env.client.workflow.execute(withActivities, {
        taskQueue: env.taskQueue,
        workflowId: 'cached-2',
      });
      const cache = valuesOf(values, N.stickyCacheSize);
      // The first run stays cached until it closes; then it is evicted.
      assert.deepEqual(cache[0], {
        value: 1,
        tags: { namespace: 'default', taskQueue: env.taskQueue },
      });
      assert.equal(cache.at(-1)?.value, 0);
      const slots = (workerType: string) =>
        valuesOf(values, N.taskSlotsAvailable)
          .filter((v) => v.tags['workerType'] === workerType)
          .map((v) => v.value);
      const wf = slots('WorkflowWorker');
      const act = slots('ActivityWorker');
      // Of 4 workflow slots, a running task holds one and the waiting poll another.
      assert.ok(wf.length > 0 && wf.every((n) => n >= 0 && n <= 3), `workflow slots ${String(wf)}`);
      assert.ok(wf.includes(2), `workflow slots ${String(wf)}`);
      assert.ok(
        act.length > 0 && act.every((n) => n >= 0 && n <= 2),
        `activity slots ${String(act)}`,
      );
      assert.ok(act.includes(1), `activity slots ${String(act)}`);
      await env.stopWorkers();
      assert.equal(valuesOf(values, N.stickyCacheSize).at(-1)?.value, 0);
    } finally {
      await env.close();
    }
  });
});

describe('getMetricTags interceptors', () => {
  test("a workflow's outbound getMetricTags give each value's first tags, the first interceptor outermost; withTags and the value's own win", async () => {
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      maxCachedWorkflows: 0, // a replay calls no interceptor and records nothing
      worker: {
        metricMeter: meter,
        interceptors: { workflowModules: [fixturesPath('metric-interceptors.ts')] },
      },
    });
    try {
      const result = await env.client.workflow.execute(counted, {
        taskQueue: env.taskQueue,
        workflowId: 'counted-tagged',
      });
      assert.equal(result, 'done');
      const base = { namespace: 'default', taskQueue: env.taskQueue, workflowType: 'counted' };
      const added = { tenant: 'acme', region: 'eu', seen: 'counted/acme' };
      assert.deepEqual(valuesOf(values, 'steps'), [
        { value: 1, tags: { ...base, ...added, flow: 'counted', step: 'start' } },
        { value: 1, tags: { ...base, ...added, flow: 'counted', step: 'after-sleep' } },
      ]);
      assert.deepEqual(valuesOf(values, 'order_amount'), [
        { value: 12.5, tags: { ...base, ...added, flow: 'interceptor' } },
      ]);
    } finally {
      await env.close();
    }
  });

  test("an activity interceptor's outbound getMetricTags gives each value's first tags, from namespace, taskQueue and activityType", async () => {
    const { meter, values } = recordingMeter();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      activities,
      worker: {
        metricMeter: meter,
        interceptors: {
          activity: [
            (ctx) => ({
              outbound: {
                getMetricTags: (input, next) =>
                  next({ ...input, kind: 'interceptor', attempt: ctx.info.attempt }),
              },
            }),
            () => ({
              outbound: {
                getMetricTags: (input, next) => ({
                  ...next(input),
                  seen: `${String(input['activityType'])}@${String(input['taskQueue'])}`,
                }),
              },
            }),
          ],
        },
      },
    });
    try {
      await env.client.workflow.execute(withActivities, {
        taskQueue: env.taskQueue,
        workflowId: 'activity-tagged',
      });
      const tags = {
        namespace: 'default',
        taskQueue: env.taskQueue,
        activityType: 'measured',
        attempt: 1,
        seen: `measured@${env.taskQueue}`,
      };
      assert.deepEqual(valuesOf(values, 'emails_sent'), [
        { value: 2, tags: { ...tags, kind: 'welcome' } },
      ]);
      assert.deepEqual(valuesOf(values, 'upload_bytes'), [
        { value: 512, tags: { ...tags, kind: 'interceptor' } },
      ]);
    } finally {
      await env.close();
    }
  });
});

/**
 * A test env whose worker records into `meter` and runs the activity `echo`, the `metric` of
 * each warning its logger got (the guard's), and the messages of its errors.
 */
async function envWithMeter(
  meter: MetricMeter,
): Promise<{ env: TestEnv; metrics: string[]; errors: string[] }> {
  const metrics: string[] = [];
  const errors: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (obj) => {
      const metric = (obj as { metric?: unknown }).metric;
      if (typeof metric === 'string') metrics.push(metric);
    },
    error: (_obj, message) => {
      errors.push(message ?? '');
    },
    child: () => logger,
  };
  const env = await startTestEnv({
    workflows: 'metric-workflows.ts',
    activities: { echo: (text: string) => Promise.resolve(`echo ${text}`) },
    worker: { metricMeter: meter, logger },
  });
  return { env, metrics, errors };
}

/** A meter whose every counter, histogram and gauge throws at each value. */
const throwingMeter = (): MetricMeter =>
  meterFrom(() => () => {
    throw new Error('meter down');
  });

describe('a metricMeter that throws', () => {
  test("an activity completes with its result, a workflow completes and the worker shuts down; each of the worker's metrics is logged once", async () => {
    const { env, metrics } = await envWithMeter(throwingMeter());
    try {
      const opts = { taskQueue: env.taskQueue };
      assert.equal(
        await env.client.workflow.execute(echoed, { ...opts, workflowId: 'e1', args: ['a'] }),
        'echo a',
      );
      assert.equal(
        await env.client.workflow.execute(echoed, { ...opts, workflowId: 'e2', args: ['b'] }),
        'echo b',
      );
      await env.stopWorkers();
      assert.equal(env.worker.state, 'STOPPED');
      assert.deepEqual(
        [...metrics].sort(),
        [
          N.activityExecutionLatency,
          N.activityScheduleToStartLatency,
          N.stickyCacheSize,
          N.taskSlotsAvailable,
          N.workflowCompleted,
          N.workflowTaskExecutionLatency,
          N.workflowTaskScheduleToStartLatency,
        ].sort(),
      );
    } finally {
      await env.close();
    }
  });

  test('values workflow code records: a warning once per metric, no error, and the workflow tasks go on', async () => {
    const { env, metrics, errors } = await envWithMeter(throwingMeter());
    try {
      const opts = { taskQueue: env.taskQueue };
      for (const workflowId of ['c1', 'c2']) {
        assert.equal(await env.client.workflow.execute(counted, { ...opts, workflowId }), 'done');
      }
      const ofWorkflowCode = metrics.filter((m) => !m.startsWith('reprise_'));
      assert.deepEqual(ofWorkflowCode.sort(), ['order_amount', 'queue_depth', 'steps']);
      assert.deepEqual(errors, []);
    } finally {
      await env.close();
    }
  });

  test('a meter that throws as a metric is made: the worker starts, runs and stops all the same', async () => {
    const meter = meterFrom(() => {
      throw new Error('no metrics here');
    });
    const { env, metrics } = await envWithMeter(meter);
    try {
      const result = await env.client.workflow.execute(echoed, {
        taskQueue: env.taskQueue,
        workflowId: 'e',
        args: ['x'],
      });
      assert.equal(result, 'echo x');
      await env.stopWorkers();
      assert.equal(env.worker.state, 'STOPPED');
      assert.ok(metrics.includes(N.activityExecutionLatency), metrics.join());
    } finally {
      await env.close();
    }
  });
});
