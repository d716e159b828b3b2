// Headers (Temporal's `Headers`): what client interceptors set on start, signal, signalWithStart,
// query and update, and what workflow outbound interceptors set on activities, children, signals
// and continue-as-new, is recorded with the call and reaches the receiving inbound interceptors,
// on the live run and on replay; a call without headers records nothing more than before.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  InvalidArgumentError,
  PayloadTooLargeError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  defaultPayloadConverter,
} from 'reprise/client';
import type { ScheduleClientInterceptor, WorkflowClientInterceptor } from 'reprise/client';
import type { ActivityInterceptorsFactory } from 'reprise/worker';
import { randomBytes } from 'node:crypto';
import { encryptionCodec } from './fixtures/encryption-codec.ts';
import * as activities from './fixtures/header-activities.ts';
import { traceOf } from './fixtures/header-interceptors.ts';
import {
  badHeader,
  bigHeader,
  finish,
  note,
  propagating,
  seenQuery,
  traced,
} from './fixtures/header-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';

/** A client interceptor that sets the `trace` header of each call to `t-<call>`. */
const tracing: WorkflowClientInterceptor = {
  startWithDetails: (input, next) => next({ ...input, headers: traceHeader('t-start') }),
  signalWithStart: (input, next) => next({ ...input, headers: traceHeader('t-sws') }),
  signal: (input, next) => next({ ...input, headers: traceHeader('t-signal') }),
  query: (input, next) => next({ ...input, headers: traceHeader('t-query') }),
  startUpdate: (input, next) => next({ ...input, headers: traceHeader('t-update') }),
  startUpdateWithStart: (input, next) =>
    next({
      ...input,
      workflowStartHeaders: traceHeader('t-uws-start'),
      updateHeaders: traceHeader('t-uws-update'),
    }),
};

function traceHeader(trace: string): {
  trace: ReturnType<typeof defaultPayloadConverter.toPayload>;
} {
  return { trace: defaultPayloadConverter.toPayload(trace) };
}

/** The trace a recorded header carries. */
function recordedTrace(e: HistoryEvent): string | undefined {
  const header = 'header' in e ? e.header : undefined;
  const trace = header?.['trace'];
  if (trace === undefined) return undefined;
  return JSON.parse(Buffer.from(trace.data ?? '', 'base64').toString('utf8')) as string;
}

/** An activity interceptor that appends the trace header the activity got to its result. */
const traceResult: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      return `${String(await next(input))}@${traceOf(input.headers)}`;
    },
  },
});

describe('headers', () => {
  let env: TestEnv;
  let client: Client;
  before(async () => {
    env = await startTestEnv({
      workflows: 'header-workflows.ts',
      activities,
      worker: {
        interceptors: {
          workflowModules: [fixturesPath('header-interceptors.ts')],
          activity: [traceResult],
        },
      },
    });
    client = new Client({
      connection: env.engine.connection,
      interceptors: { workflow: [tracing] },
    });
  });
  after(async () => {
    await env.close();
  });

  test("client interceptors' headers reach the workflow's inbound interceptors and are recorded", async () => {
    const handle = await client.workflow.start(traced, {
      workflowId: 'headers-client-to-workflow',
      taskQueue: env.taskQueue,
    });
    assert.equal(await handle.executeUpdate(note, { args: ['hi'] }), 'hi');
    assert.deepEqual(await handle.query(seenQuery), [
      'execute:t-start',
      'validate note:t-update',
      'update note:t-update',
      'query:t-query',
    ]);
    await handle.signal(finish);
    assert.deepEqual(await handle.result(), [
      'execute:t-start',
      'validate note:t-update',
      'update note:t-update',
      'signal finish:t-signal',
    ]);
    const { events } = await handle.fetchHistory();
    const traces = events.flatMap((e) => {
      const trace = recordedTrace(e);
      return trace === undefined ? [] : [`${e.type}:${trace}`];
    });
    assert.deepEqual(traces, [
      'WorkflowExecutionStarted:t-start',
      'WorkflowExecutionUpdateAccepted:t-update',
      'WorkflowExecutionSignaled:t-signal',
    ]);
    // A query of the closed run replays it: the recorded headers reach the interceptors again
    // (validators do not run on replay).
    assert.deepEqual(await handle.query(seenQuery), [
      'execute:t-start',
      'update note:t-update',
      'signal finish:t-signal',
      'query:t-query',
    ]);
  });

  test("a schedule interceptor's headers reach every run the schedule starts, and update keeps them", async () => {
    const seenInputs: string[] = [];
    const scheduleTracing: ScheduleClientInterceptor = {
      create: (input, next) => {
        seenInputs.push(
          `${input.options.action.workflowType}(${input.options.action.args.length})`,
        );
        return next({ ...input, headers: { ...input.headers, ...traceHeader('t-schedule') } });
      },
    };
    const scheduling = new Client({
      connection: env.engine.connection,
      interceptors: { schedule: [scheduleTracing] },
    });
    const h = await scheduling.schedule.create({
      scheduleId: 'headers-schedule',
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: { type: 'startWorkflow', workflowType: traced, taskQueue: env.taskQueue },
    });
    assert.deepEqual(seenInputs, ['traced(0)']);
    /** Triggers the schedule and returns the handle of the run its `n`th action started. */
    const triggered = async (n: number) => {
      await h.trigger();
      await waitFor(
        async () => (await h.describe()).info.numActionsTaken === n,
        `the schedule's action ${n}`,
      );
      const { workflow } = ((await h.describe()).info.recentActions[n - 1] ?? assert.fail()).action;
      return client.workflow.getHandle(workflow.workflowId, workflow.firstExecutionRunId);
    };
    const first = await triggered(1);
    assert.deepEqual(await first.query(seenQuery), ['execute:t-schedule', 'query:t-query']);
    const started = (await first.fetchHistory()).events[0];
    assert.ok(started !== undefined);
    assert.equal(recordedTrace(started), 't-schedule');
    await first.terminate();
    // Temporal's update sends the action's headers back: an update through a client without
    // schedule interceptors keeps them.
    await env.client.schedule
      .getHandle('headers-schedule')
      .update((d) => ({ ...d, state: { note: 'updated' } }));
    const second = await triggered(2);
    assert.deepEqual(await second.query(seenQuery), ['execute:t-schedule', 'query:t-query']);
    await second.terminate();
    await h.delete();
  });

  test("signalWithStart's headers are recorded on the start and on the signal", async () => {
    const handle = await client.workflow.signalWithStart(traced, {
      workflowId: 'headers-signal-with-start',
      taskQueue: env.taskQueue,
      signal: finish,
    });
    assert.deepEqual(await handle.result(), ['execute:t-sws', 'signal finish:t-sws']);
    const { events } = await handle.fetchHistory();
    assert.deepEqual(
      events.slice(0, 2).map((e) => `${e.type}:${recordedTrace(e) ?? '-'}`),
      ['WorkflowExecutionStarted:t-sws', 'WorkflowExecutionSignaled:t-sws'],
    );
  });

  test("update-with-start's start headers reach execute and its update headers the update", async () => {
    const op = new WithStartWorkflowOperation(traced, {
      workflowId: 'headers-update-with-start',
      taskQueue: env.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    assert.equal(
      await client.workflow.executeUpdateWithStart(note, {
        args: ['hi'],
        startWorkflowOperation: op,
      }),
      'hi',
    );
    const handle = await op.workflowHandle();
    await handle.signal(finish);
    assert.deepEqual(await handle.result(), [
      'execute:t-uws-start',
      'validate note:t-uws-update',
      'update note:t-uws-update',
      'signal finish:t-signal',
    ]);
  });

  test('calls without headers record none and the interceptors get {}', async () => {
    const handle = await env.client.workflow.start(traced, {
      workflowId: 'headers-none',
      taskQueue: env.taskQueue,
    });
    await handle.executeUpdate(note, { args: ['hi'] });
    await handle.signal(finish);
    assert.deepEqual(await handle.result(), [
      'execute:-',
      'validate note:-',
      'update note:-',
      'signal finish:-',
    ]);
    const { events } = await handle.fetchHistory();
    assert.deepEqual(
      events.filter((e) => 'header' in e).map((e) => e.type),
      [],
    );
  });

  test('the engine refuses a header that is not a Payload in its JSON form, and starts nothing', async () => {
    await assert.rejects(
      env.engine.connection.startWorkflow({
        namespace: 'default',
        workflowId: 'headers-malformed',
        workflowType: 'traced',
        taskQueue: env.taskQueue,
        args: [],
        header: { trace: { metadata: { encoding: 7 } } } as never,
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message.includes('header.trace.metadata.encoding'),
    );
    await assert.rejects(
      env.client.workflow.getHandle('headers-malformed').describe(),
      WorkflowNotFoundError,
    );
  });

  test('a context propagated as headers goes client → workflow → continue-as-new → activity, local activity, child and signal', async () => {
    const handle = await client.workflow.start(propagating, {
      workflowId: 'headers-propagation',
      taskQueue: env.taskQueue,
      args: [0],
    });
    const ctx = 't-start>continueAsNew';
    assert.deepEqual(await handle.result(), [
      `execute:${ctx}`,
      `activity@${ctx}>echo`,
      `local@${ctx}>local echo`,
      `child execute:${ctx}>child tracedChild`,
      `child signal finish:${ctx}>signal finish`,
      `child activity@${ctx}>child tracedChild>echo`,
    ]);
    const { events } = await handle.fetchHistory();
    const traces = events.flatMap((e) => {
      const trace = recordedTrace(e);
      return trace === undefined ? [] : [`${e.type}:${trace}`];
    });
    assert.deepEqual(traces, [
      `WorkflowExecutionStarted:${ctx}`,
      `ActivityTaskScheduled:${ctx}>echo`,
      `StartChildWorkflowExecutionInitiated:${ctx}>child tracedChild`,
      `SignalExternalWorkflowExecutionInitiated:${ctx}>signal finish`,
    ]);
    // The first run recorded the continue-as-new's header.
    const first = await env.client.workflow
      .getHandle('headers-propagation', handle.firstExecutionRunId)
      .fetchHistory();
    const continued = first.events.at(-1);
    assert.ok(continued?.type === 'WorkflowExecutionContinuedAsNew');
    assert.equal(recordedTrace(continued), ctx);
  });

  test('a header a workflow interceptor sets that is not a Payload fails the workflow task, saying which', async () => {
    const handle = await env.client.workflow.start(badHeader, {
      workflowId: 'headers-bad-in-workflow',
      taskQueue: env.taskQueue,
    });
    let message = '';
    await waitFor(async () => {
      message = (await handle.describe()).lastWorkflowTaskFailure?.failure.message ?? '';
      return message !== '';
    }, 'the workflow task failure');
    assert.match(message, /Header 'trace' of activity 'echo' is not a Payload \(it is a string\)/);
    const { events } = await handle.fetchHistory();
    assert.equal(
      events.some((e) => e.type === 'ActivityTaskScheduled'),
      false,
    );
    await handle.terminate();
  });

  test("payload codecs do not apply to headers, as in Temporal's TypeScript SDK", async () => {
    const encrypting = new Client({
      connection: env.engine.connection,
      dataConverter: { payloadCodecs: [encryptionCodec(randomBytes(32))] },
      interceptors: { workflow: [tracing] },
    });
    const handle = await encrypting.workflow.start(traced, {
      workflowId: 'headers-not-encoded',
      taskQueue: env.taskQueue,
      memo: { secret: 'memo' },
    });
    await handle.signal(finish);
    assert.deepEqual(await handle.result(), ['execute:t-start', 'signal finish:t-signal']);
    const started = (await env.client.workflow.getHandle('headers-not-encoded').fetchHistory())
      .events[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.equal(recordedTrace(started), 't-start');
    assert.notDeepEqual(started.memo, { secret: 'memo' }); // the memo went through the codec
  });
});

describe('headers over the payload limit', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: 'header-workflows.ts',
      activities,
      limits: { maxPayloadBytes: 2000 },
      worker: { interceptors: { workflowModules: [fixturesPath('header-interceptors.ts')] } },
    });
  });
  after(async () => {
    await env.close();
  });

  test("a client's oversized headers are refused with PayloadTooLargeError and start nothing", async () => {
    const big: WorkflowClientInterceptor = {
      startWithDetails: (input, next) => next({ ...input, headers: traceHeader('x'.repeat(3000)) }),
    };
    const client = new Client({
      connection: env.engine.connection,
      interceptors: { workflow: [big] },
    });
    await assert.rejects(
      client.workflow.start(traced, { workflowId: 'headers-too-big', taskQueue: env.taskQueue }),
      (e: unknown) =>
        e instanceof PayloadTooLargeError &&
        e.message.includes("header of workflow 'headers-too-big'"),
    );
    await assert.rejects(
      env.client.workflow.getHandle('headers-too-big').describe(),
      WorkflowNotFoundError,
    );
  });

  test("a workflow's oversized activity header fails the workflow task (PayloadTooLarge)", async () => {
    const handle = await env.client.workflow.start(bigHeader, {
      workflowId: 'headers-too-big-in-workflow',
      taskQueue: env.taskQueue,
    });
    await waitFor(
      async () => (await handle.describe()).lastWorkflowTaskFailure?.cause === 'PayloadTooLarge',
      'the PayloadTooLarge workflow task failure',
    );
    const failure = (await handle.describe()).lastWorkflowTaskFailure;
    assert.match(failure?.failure.message ?? '', /header of activity 'echo'/);
    await handle.terminate();
  });
});
