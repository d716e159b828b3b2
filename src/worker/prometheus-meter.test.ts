import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Gauge, Registry } from 'prom-client';
import { InvalidArgumentError } from '../errors.ts';
import { counted, upDown } from '../../test/e2e/fixtures/metric-workflows.ts';
import { recordingLogger, startTestEnv } from '../../test/helpers/test-env.ts';
import { prometheusMeter } from './prometheus-meter.ts';

/** The sample lines of `registry` that start with `prefix` (no `# HELP` / `# TYPE`). */
async function samples(registry: Registry, prefix: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

describe('prometheusMeter', () => {
  test('counters, gauges and histograms appear in the registry text with their tags as labels', async () => {
    const registry = new Registry();
    const meter = prometheusMeter(registry).withTags({ taskQueue: 'q' });
    const sent = meter.createCounter('emails_sent', '', 'Emails sent');
    sent.add(2, { kind: 'welcome' });
    sent.withTags({ kind: 'reset' }).add(1);
    sent.add(3, { kind: 'welcome' });
    meter.createGauge('queue_depth').set(7, { flag: true });
    meter.createHistogram('lookup_ms', 'float', 'ms').record(30);
    const text = await registry.metrics();
    assert.match(text, /# HELP emails_sent Emails sent\n# TYPE emails_sent counter/);
    assert.deepEqual(await samples(registry, 'emails_sent'), [
      'emails_sent{taskQueue="q",kind="welcome"} 5',
      'emails_sent{taskQueue="q",kind="reset"} 1',
    ]);
    assert.deepEqual(await samples(registry, 'queue_depth'), [
      'queue_depth{taskQueue="q",flag="true"} 7',
    ]);
    // Buckets in ms: 30 falls in 50 and above.
    const histogram = await samples(registry, 'lookup_ms');
    assert.ok(
      histogram.includes('lookup_ms_bucket{le="25",taskQueue="q"} 0'),
      histogram.join('\n'),
    );
    assert.ok(
      histogram.includes('lookup_ms_bucket{le="50",taskQueue="q"} 1'),
      histogram.join('\n'),
    );
    assert.ok(histogram.includes('lookup_ms_sum{taskQueue="q"} 30'));
    assert.ok(histogram.includes('lookup_ms_count{taskQueue="q"} 1'));
  });

  test('an up-down counter is a gauge that its values move up and down, below 0 too', async () => {
    const registry = new Registry();
    const meter = prometheusMeter(registry).withTags({ taskQueue: 'q' });
    const open = meter.createUpDownCounter?.('open_connections', '', 'Open connections');
    assert.equal(open?.kind, 'up-down-counter');
    open.add(5, { pool: 'a' });
    open.add(-2, { pool: 'a' });
    open.withTags({ pool: 'b' }).add(-4);
    const text = await registry.metrics();
    assert.match(text, /# HELP open_connections Open connections\n# TYPE open_connections gauge/);
    assert.deepEqual(await samples(registry, 'open_connections'), [
      'open_connections{taskQueue="q",pool="a"} 3',
      'open_connections{taskQueue="q",pool="b"} -4',
    ]);
    assert.throws(() => {
      open.add(Number.NaN);
    }, InvalidArgumentError);
    assert.throws(() => meter.createGauge('open_connections'), /is an up-down counter already/);
    // A gauge of the name the registry holds (another meter's) is moved up and down.
    new Gauge({
      name: 'held',
      help: 'made elsewhere',
      labelNames: ['taskQueue'],
      registers: [registry],
    });
    meter.createUpDownCounter?.('held').add(-2);
    assert.deepEqual(await samples(registry, 'held'), ['held{taskQueue="q"} -2']);
  });

  test('a tag the first value did not have is dropped with one warning, unless named in labelNames', async () => {
    const registry = new Registry();
    const { logger, warnings } = recordingLogger();
    const meter = prometheusMeter(registry, { logger, labelNames: ['region'] });
    const c = meter.createCounter('jobs');
    c.add(1);
    c.add(1, { region: 'eu' });
    c.add(1, { shard: '1' });
    c.add(1, { shard: '2' });
    assert.deepEqual(await samples(registry, 'jobs'), ['jobs 3', 'jobs{region="eu"} 1']);
    assert.equal(warnings.length, 1);
  });

  test('a bad name, a name of another kind and a negative value throw InvalidArgumentError', () => {
    const registry = new Registry();
    const meter = prometheusMeter(registry);
    assert.throws(() => meter.createCounter('my.metric'), InvalidArgumentError);
    meter.createCounter('things');
    assert.throws(() => meter.createGauge('things'), InvalidArgumentError);
    assert.throws(() => {
      meter.createCounter('things').add(-1);
    }, InvalidArgumentError);
  });

  test('two meters on one registry record into the same metrics; a name the registry holds as another kind throws at creation', async () => {
    const registry = new Registry();
    const a = prometheusMeter(registry).withTags({ taskQueue: 'a' });
    const b = prometheusMeter(registry).withTags({ taskQueue: 'b' });
    const ca = a.createCounter('jobs_done');
    const cb = b.createCounter('jobs_done');
    ca.add(1);
    cb.add(2);
    ca.add(1);
    assert.deepEqual(await samples(registry, 'jobs_done'), [
      'jobs_done{taskQueue="a"} 2',
      'jobs_done{taskQueue="b"} 2',
    ]);
    new Gauge({ name: 'held_gauge', help: 'made elsewhere', registers: [registry] });
    assert.throws(() => a.createCounter('held_gauge'), InvalidArgumentError);
  });

  test('two workers in one process, each with a prometheusMeter on the same registry, both record', async () => {
    const registry = new Registry();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      worker: { metricMeter: prometheusMeter(registry) },
    });
    try {
      const other = `${env.taskQueue}-2`;
      await env.startWorker({ taskQueue: other, metricMeter: prometheusMeter(registry) });
      for (const taskQueue of [env.taskQueue, other]) {
        assert.equal(
          await env.client.workflow.execute(counted, { taskQueue, workflowId: `p-${taskQueue}` }),
          'done',
        );
      }
      const labels = (q: string) => `namespace="default",taskQueue="${q}",workflowType="counted"`;
      assert.deepEqual(await samples(registry, 'reprise_workflow_completed'), [
        `reprise_workflow_completed{${labels(env.taskQueue)}} 1`,
        `reprise_workflow_completed{${labels(other)}} 1`,
      ]);
      assert.deepEqual(await samples(registry, 'steps'), [
        `steps{${labels(env.taskQueue)},flow="counted",step="start"} 1`,
        `steps{${labels(env.taskQueue)},flow="counted",step="after-sleep"} 1`,
        `steps{${labels(other)},flow="counted",step="start"} 1`,
        `steps{${labels(other)},flow="counted",step="after-sleep"} 1`,
      ]);
    } finally {
      await env.close();
    }
  });

  test("a worker's metrics and its workflows' reach the registry", async () => {
    const registry = new Registry();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      worker: { metricMeter: prometheusMeter(registry) },
    });
    try {
      await env.client.workflow.execute(counted, { taskQueue: env.taskQueue, workflowId: 'p' });
      const labels = `namespace="default",taskQueue="${env.taskQueue}",workflowType="counted"`;
      assert.deepEqual(await samples(registry, 'reprise_workflow_completed'), [
        `reprise_workflow_completed{${labels}} 1`,
      ]);
      assert.deepEqual(await samples(registry, 'steps'), [
        `steps{${labels},flow="counted",step="start"} 1`,
        `steps{${labels},flow="counted",step="after-sleep"} 1`,
      ]);
      const latency = await samples(registry, 'reprise_workflow_task_execution_latency_count');
      assert.equal(latency.length, 1);
      assert.match(latency[0] ?? '', / 2$/, 'two workflow tasks');
    } finally {
      await env.close();
    }
  });

  test("a workflow's up-down counter reaches the registry as a gauge, each value once though the run is replayed", async () => {
    const registry = new Registry();
    const env = await startTestEnv({
      workflows: 'metric-workflows.ts',
      maxCachedWorkflows: 0, // the second workflow task replays the first
      worker: { metricMeter: prometheusMeter(registry) },
    });
    try {
      await env.client.workflow.execute(upDown, { taskQueue: env.taskQueue, workflowId: 'ud' });
      assert.ok(env.worker.getStatus().workflowTasksReplayed >= 1, 'the second task replayed');
      const labels = `namespace="default",taskQueue="${env.taskQueue}",workflowType="upDown"`;
      assert.deepEqual(await samples(registry, 'jobs_in_flight'), [
        `jobs_in_flight{${labels},pool="a"} 2`,
      ]);
    } finally {
      await env.close();
    }
  });
});
