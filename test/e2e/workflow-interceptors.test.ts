// Workflow interceptors (Temporal's `interceptors.workflowModules`): modules bundled with the
// workflows whose `interceptors` factory is called per run inside the sandbox; inbound calls
// (execute, signals, queries, updates) and outbound calls (activities, timers, children,
// signals to other workflows, continue-as-new, log attributes) go through them, the first
// interceptor outermost, and a replay calls them again identically.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  InvalidArgumentError,
  QueryNotRegisteredError,
  WorkflowUpdateFailedError,
} from 'reprise/client';
import { DeterminismViolationError, Worker } from 'reprise/worker';
import type { WorkerOptions } from 'reprise/worker';
import * as activities from './fixtures/data-converter-activities.ts';
import {
  add,
  continuing,
  drawn,
  drawsAfterSignal,
  go,
  intercepted,
  peek,
  received,
  rename,
  viaSetTimeout,
} from './fixtures/workflow-interceptor-workflows.ts';
import { numbered } from './fixtures/workflow-interceptor-seq-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';

const WORKFLOWS = 'workflow-interceptor-workflows.ts';

/** A history the code from before a change recorded (test/replay/fixtures/generate-*.ts). */
function legacyHistory(name: string): { events: HistoryEvent[] } {
  const file = new URL(`../replay/fixtures/${name}.history.json`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as { events: HistoryEvent[] };
}
const workflowModules = [
  fixturesPath('workflow-interceptors-a.ts'),
  fixturesPath('workflow-interceptors-b.ts'),
];

describe('workflow interceptors', () => {
  const logged: { attrs: object; message: string | undefined }[] = [];
  const logger: NonNullable<WorkerOptions['logger']> = {
    debug: () => undefined,
    info: (attrs, message) => {
      logged.push({ attrs, message });
    },
    warn: () => undefined,
    error: () => undefined,
    child: () => logger,
  };
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: WORKFLOWS,
      activities,
      worker: { interceptors: { workflowModules }, logger },
    });
  });
  after(async () => {
    await env.close();
  });

  test("setTimeout's timers go through the startTimer interceptors; clearTimeout cancels them", async () => {
    const handle = await env.client.workflow.start(viaSetTimeout, {
      workflowId: 'wf-interceptors-set-timeout',
      taskQueue: env.taskQueue,
    });
    const each = (ms: number): string[] => [
      `a1:timer ${ms}`,
      `a2:timer ${ms + 1}`,
      `b:timer ${ms + 2}`,
    ];
    assert.deepEqual((await handle.result()).timers, [
      ...each(1000),
      ...each(5),
      ...each(20),
      'slept',
    ]);
    const { events } = await handle.fetchHistory();
    const timers = events.flatMap((e) => {
      if (e.type === 'TimerStarted') return [`started ${e.timerId} ${e.startToFireTimeoutMs}`];
      if (e.type === 'MarkerRecorded') return [`marker ${String(e.details['patchId'])}`];
      if (e.type === 'WorkflowTaskCompleted') return (e.sdkFlags ?? []).map((f) => `flag ${f}`);
      if (e.type === 'TimerFired' || e.type === 'TimerCanceled') return [`${e.type} ${e.timerId}`];
      return [];
    });
    // Timer 1 is cleared in the activation that started it: it is dropped, never sent.
    assert.deepEqual(timers, [
      'flag reprise/set-timeout-intercepted',
      'flag reprise/seq-before-interceptors',
      'flag reprise/timer-cancel-unsent-drops',
      'started 2 8',
      'TimerFired 2',
      'started 3 23',
      'TimerFired 3',
    ]);
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(WORKFLOWS), interceptors: { workflowModules } },
      { events },
    );
  });

  test('a history recorded before setTimeout went through the interceptors replays as it ran', async () => {
    // Recorded by the old code (generate-set-timeout-history.ts): the timers started directly.
    const history = legacyHistory('set-timeout-legacy');
    const started = history.events.flatMap((e) =>
      e.type === 'TimerStarted' ? [e.startToFireTimeoutMs] : [],
    );
    assert.deepEqual(started, [1000, 5, 23], 'only the sleep went through the interceptors');
    assert.ok(!history.events.some((e) => e.type === 'MarkerRecorded'));
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(WORKFLOWS), interceptors: { workflowModules } },
      history,
    );
  });

  test('inbound and outbound calls go through the interceptors, first module and first interceptor outermost', async () => {
    const handle = await env.client.workflow.start(intercepted, {
      workflowId: 'wf-interceptors-all',
      taskQueue: env.taskQueue,
      args: ['wf'],
    });
    await handle.signal(add, 's1');
    assert.equal(await handle.executeUpdate(rename, { args: ['u1'] }), 'u1+a1+a2+b');
    await assert.rejects(
      handle.executeUpdate(rename, { args: ['reject-by-a2'] }),
      (e: unknown) =>
        e instanceof WorkflowUpdateFailedError && /rejected by a2/.test(String(e.cause)),
    );
    assert.deepEqual(await handle.query(received), [
      's1+a1+a2+b',
      'update u1+a1+a2+b',
      'received+b',
      'received+a2',
      'received+a1',
    ]);
    await handle.signal(add, 's2');
    const result = await handle.result();

    assert.equal(result.name, 'wf+a1+a2+b', 'execute changed the arguments');
    assert.deepEqual(
      result.exits,
      ['b', 'a2', 'a1'],
      'execute changed the result, innermost first',
    );
    assert.deepEqual(result.received, ['s1+a1+a2+b', 'update u1+a1+a2+b', 's2+a1+a2+b']);
    assert.equal(result.shouted, 'ACT>A1>A2>B!');
    assert.equal(result.shoutedLocally, 'LOCAL>A1>A2>B!');
    assert.deepEqual(result.child, {
      got: ['kid>a1>a2>b+a1+a2+b', 'ping>a1>a2>b+a1+a2+b'],
      exits: ['b', 'a2', 'a1'],
    });
    const each = (call: string): string[] => ['a1', 'a2', 'b'].map((n) => `${n}:${call}`);
    assert.deepEqual(result.trace, [
      ...each('execute'),
      ...each('signal add'),
      ...each('update rename'),
      ...each('signal add'),
      'a1:timer 5',
      'a2:timer 6',
      'b:timer 7',
      ...each('activity shout'),
      ...each('local activity shout'),
      ...each('child childEcho'),
      ...each('signal out add'),
    ]);

    const { events } = await handle.fetchHistory();
    const scheduled = events.find((e) => e.type === 'ActivityTaskScheduled');
    assert.deepEqual(scheduled?.type === 'ActivityTaskScheduled' && scheduled.input, [
      'act>a1>a2>b',
    ]);
    const timer = events.find((e) => e.type === 'TimerStarted');
    assert.equal(timer?.type === 'TimerStarted' && timer.startToFireTimeoutMs, 8);
    const line = logged.find((l) => l.message === 'slept');
    assert.ok(line, 'the workflow log line reached the worker logger');
    assert.deepEqual(
      { ...line.attrs },
      {
        namespace: 'default',
        taskQueue: env.taskQueue,
        workflowId: 'wf-interceptors-all',
        runId: handle.firstExecutionRunId,
        workflowType: 'intercepted',
        'by-a1': true,
        'by-a2': true,
        'by-b': true,
      },
      'getLogAttributes added attributes to the line',
    );

    const history = await handle.fetchHistory();
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(WORKFLOWS), interceptors: { workflowModules } },
      history,
    );
    await assert.rejects(
      Worker.runReplayHistory({ workflowsPath: fixturesPath(WORKFLOWS) }, history),
      DeterminismViolationError,
      'the replay ran the interceptors: without them the workflow issues other commands',
    );
  });

  test('continueAsNew goes through the interceptors: the next run gets the changed arguments', async () => {
    const result = await env.client.workflow.execute(continuing, {
      workflowId: 'wf-interceptors-can',
      taskQueue: env.taskQueue,
      args: [0, 'note'],
    });
    // The interceptors see the current task queue in the options, as in Temporal.
    const q = env.taskQueue;
    assert.deepEqual(result, {
      note: `note+a1+a2+b>a1@${q}>a2@${q}>b@${q}+a1+a2+b`,
      exits: ['b', 'a2', 'a1'],
    });
  });

  test('a listed module that exports no interceptors function is refused, naming it', async () => {
    await assert.rejects(
      Worker.create({
        connection: env.engine.connection,
        taskQueue: env.taskQueue,
        workflowsPath: fixturesPath(WORKFLOWS),
        interceptors: { workflowModules: [fixturesPath('workflow-interceptors-none.ts')] },
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /workflow-interceptors-none\.ts does not export an `interceptors` function/.test(e.message),
    );
  });

  test('a listed module that does not exist is refused', async () => {
    await assert.rejects(
      Worker.create({
        connection: env.engine.connection,
        taskQueue: env.taskQueue,
        workflowsPath: fixturesPath(WORKFLOWS),
        interceptors: { workflowModules: ['./no-such-interceptors.ts'] },
      }),
      (e: unknown) => e instanceof InvalidArgumentError && /does not exist/.test(e.message),
    );
  });
});

describe('a handleQuery interceptor that awaits before next()', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: WORKFLOWS,
      activities,
      worker: {
        interceptors: {
          workflowModules: [fixturesPath('workflow-interceptor-awaiting-query.ts')],
        },
      },
    });
  });
  after(async () => {
    await env.close();
  });

  test("the query handler still runs in query mode: its Math.random leaves the run's own numbers as a replay draws them", async () => {
    const handle = await env.client.workflow.start(drawsAfterSignal, {
      taskQueue: env.taskQueue,
      workflowId: 'wf-awaiting-query',
    });
    await waitFor(
      async () =>
        (await handle.fetchHistory()).events.some((e) => e.type === 'WorkflowTaskCompleted'),
      'the first workflow task',
    );
    assert.equal(typeof (await handle.query(peek)), 'number');
    await handle.signal(go);
    const live = await handle.result();
    // A closed run's query replays its history in a fresh run, which sees no query.
    assert.deepEqual(await handle.query(drawn), live);
  });

  test('every query goes through handleQuery: the built-in one, and one the workflow has no handler for', async () => {
    const handle = await env.client.workflow.start(drawsAfterSignal, {
      taskQueue: env.taskQueue,
      workflowId: 'wf-query-interceptor-sees-all',
    });
    await waitFor(
      async () =>
        (await handle.fetchHistory()).events.some((e) => e.type === 'WorkflowTaskCompleted'),
      'the first workflow task',
    );
    assert.equal(await handle.query('answeredByInterceptor'), 'answered by the interceptor');
    assert.equal(await handle.query('__stack_trace'), 'stack trace withheld');
    await assert.rejects(
      handle.query('noSuchQuery'),
      (e: unknown) => e instanceof QueryNotRegisteredError && /noSuchQuery/.test(e.message),
      'next() of a query without a handler still fails as not registered',
    );
    await handle.signal(go);
    await handle.result();
  });
});

describe("outbound interceptors' seq", () => {
  const SEQ_WORKFLOWS = 'workflow-interceptor-seq-workflows.ts';
  const seqModules = [fixturesPath('workflow-interceptor-seqs.ts')];
  let env: TestEnv;
  before(async () => {
    // No cache: each workflow task replays the run from its history, interceptors and all.
    env = await startTestEnv({
      workflows: SEQ_WORKFLOWS,
      activities,
      maxCachedWorkflows: 0,
      worker: { interceptors: { workflowModules: seqModules } },
    });
  });
  after(async () => {
    await env.close();
  });

  test("each call's input has its command's seq, taken before the interceptors, counted per kind (local activities with activities, as in Temporal) and the same on replay", async () => {
    const handle = await env.client.workflow.start(numbered, {
      workflowId: 'wf-interceptor-seqs',
      taskQueue: env.taskQueue,
      args: ['wf-interceptor-seqs-child'],
    });
    // What the last task's run saw: the earlier calls replayed, the last timer live.
    assert.deepEqual(await handle.result(), [
      'timer 1',
      'activity 1',
      'timer 2',
      'activity 2',
      'timer 3', // in a cancelled scope: refused, its seq used up, as in Temporal
      'local activity 3',
      'child 1',
      'signal 1',
      'signal 2',
      'timer 4',
    ]);
    const { events } = await handle.fetchHistory();
    const issued = events.flatMap((e) => {
      if (e.type === 'TimerStarted') return [`timer ${e.timerId}`];
      if (e.type === 'ActivityTaskScheduled') return [`activity ${e.seq} ${e.activityId}`];
      if (e.type === 'MarkerRecorded' && e.markerName === 'core_local_activity')
        return [`local activity ${String(e.details['seq'])}`];
      return [];
    });
    assert.deepEqual(issued, [
      'timer 1',
      'activity 1 1',
      'timer 2',
      'activity 2 2',
      'local activity 3',
      'timer 4',
    ]);
    assert.ok(
      events.some(
        (e) =>
          e.type === 'WorkflowTaskCompleted' &&
          e.sdkFlags?.includes('reprise/seq-before-interceptors'),
      ),
    );
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(SEQ_WORKFLOWS), interceptors: { workflowModules: seqModules } },
      { events },
    );
    // The numbering does not depend on the worker's interceptors: without them the history
    // replays too (the refused timer still uses its seq up).
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(SEQ_WORKFLOWS) }, { events });
  });

  test('a history recorded before calls took their seq ahead of the interceptors replays as it ran', async () => {
    // Recorded by the old code (generate-seq-before-interceptors-history.ts): the timer refused
    // by its cancelled scope used no seq up, so the last timer is 3.
    const history = legacyHistory('seq-before-interceptors-legacy');
    const timers = history.events.flatMap((e) => (e.type === 'TimerStarted' ? [e.timerId] : []));
    assert.deepEqual(timers, ['1', '2', '3']);
    assert.ok(!history.events.some((e) => e.type === 'WorkflowTaskCompleted' && e.sdkFlags));
    await Worker.runReplayHistory(
      { workflowsPath: fixturesPath(SEQ_WORKFLOWS), interceptors: { workflowModules: seqModules } },
      history,
    );
  });
});
