import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { WorkflowInfo } from '../workflow/workflow-info.ts';
import { Worker } from './worker.ts';
import type { InjectedSinks } from './sinks.ts';
import {
  audited,
  failingSinks,
  failingTask,
  finish,
  peek,
  oneCall,
  queried,
  uncopyableArgument,
} from '../../test/e2e/fixtures/sink-workflows.ts';
import type { TestSinks } from '../../test/e2e/fixtures/sink-workflows.ts';
import { fixturesPath, startTestEnv, waitFor } from '../../test/helpers/test-env.ts';

interface Recorded {
  sink: string;
  args: unknown[];
  info: WorkflowInfo;
}

/** Sinks that record their calls: `audit` not during replay, `replayed` during replay too. */
function recordingSinks(): { sinks: InjectedSinks<TestSinks>; calls: Recorded[] } {
  const calls: Recorded[] = [];
  const sinks: InjectedSinks<TestSinks> = {
    audit: {
      record: {
        fn: (info, ...args) => {
          calls.push({ sink: 'audit', args, info });
        },
      },
    },
    replayed: {
      record: {
        fn: (info, ...args) => {
          calls.push({ sink: 'replayed', args, info });
        },
        callDuringReplay: true,
      },
    },
    broken: {
      throws: {
        fn: () => {
          throw new Error('sink down');
        },
      },
      rejects: { fn: () => Promise.reject(new Error('sink down later')) },
    },
  };
  return { sinks, calls };
}

/** A worker logger that keeps its error, info and trace lines. */
function errorRecorder(): {
  logger: Logger;
  errors: { obj: object; msg: string }[];
  infos: { obj: object; msg: string }[];
  traces: string[];
} {
  const errors: { obj: object; msg: string }[] = [];
  const infos: { obj: object; msg: string }[] = [];
  const traces: string[] = [];
  const logger: Logger = {
    trace: (_obj, msg) => {
      traces.push(msg ?? '');
    },
    debug: () => undefined,
    info: (obj, msg) => {
      infos.push({ obj, msg: msg ?? '' });
    },
    warn: () => undefined,
    error: (obj, msg) => {
      errors.push({ obj, msg: msg ?? '' });
    },
    child: () => logger,
  };
  return { logger, errors, infos, traces };
}

const summary = (calls: Recorded[]): string[] =>
  calls.map(
    (c) => `${c.sink}:${String(c.args[0])}:${c.info.unsafe.isReplaying ? 'replay' : 'live'}`,
  );

describe('sinks', () => {
  test('a sink function gets each call once the activation is done, in order, with the arguments and workflowInfo() of the call', async () => {
    const { sinks, calls } = recordingSinks();
    const env = await startTestEnv({ workflows: 'sink-workflows.ts', worker: { sinks } });
    try {
      const result = await env.client.workflow.execute(audited, {
        taskQueue: env.taskQueue,
        workflowId: 'audited',
      });
      assert.equal(result, 'done');
      assert.deepEqual(summary(calls), [
        'audit:start:live',
        'replayed:start:live',
        'replayed:after-sleep:live',
        'audit:after-sleep:live',
      ]);
      const [start, , beforeUpsert, afterSleep] = calls as [Recorded, Recorded, Recorded, Recorded];
      // Copied at the call, as JSON: the later change is not seen, a Date is its ISO string,
      // and an undefined argument stays one.
      assert.deepEqual(start.args, [
        'start',
        { n: 1, when: '1970-01-01T00:00:00.000Z' },
        undefined,
      ]);
      assert.equal(start.info.workflowId, 'audited');
      assert.equal(start.info.workflowType, 'audited');
      assert.ok(start.info.startTime instanceof Date);
      assert.equal(start.info.unsafe.now(), start.info.runStartTime.getTime());
      assert.deepEqual(start.info.memo, {});
      // The info of the second task's calls: later in history, and with the memo as it was at
      // each call.
      assert.ok(beforeUpsert.info.historyLength > start.info.historyLength);
      assert.deepEqual(beforeUpsert.info.memo, {});
      assert.deepEqual(afterSleep.info.memo, { stage: 'slept' });
    } finally {
      await env.close();
    }
  });

  test('a replay from history (no cache) calls a sink function again only with callDuringReplay', async () => {
    const { sinks, calls } = recordingSinks();
    const env = await startTestEnv({
      workflows: 'sink-workflows.ts',
      maxCachedWorkflows: 0,
      worker: { sinks },
    });
    try {
      await env.client.workflow.execute(audited, {
        taskQueue: env.taskQueue,
        workflowId: 'audited-uncached',
      });
      assert.ok(env.worker.getStatus().workflowTasksReplayed >= 2, 'the second task replayed');
      assert.deepEqual(summary(calls), [
        'audit:start:live',
        'replayed:start:live',
        // The second task replays the first (its calls again), then runs live.
        'replayed:start:replay',
        'replayed:after-sleep:live',
        'audit:after-sleep:live',
      ]);
    } finally {
      await env.close();
    }
  });

  test('Worker.runReplayHistory calls only the sink functions with callDuringReplay, as replaying', async () => {
    const live = recordingSinks();
    const env = await startTestEnv({
      workflows: 'sink-workflows.ts',
      worker: { sinks: live.sinks },
    });
    try {
      const handle = await env.client.workflow.start(audited, {
        taskQueue: env.taskQueue,
        workflowId: 'audited-replayed',
      });
      await handle.result();
      const replay = recordingSinks();
      await Worker.runReplayHistory(
        { workflowsPath: fixturesPath('sink-workflows.ts'), sinks: replay.sinks },
        await handle.fetchHistory(),
      );
      assert.deepEqual(summary(replay.calls), [
        'replayed:start:replay',
        'replayed:after-sleep:replay',
      ]);
    } finally {
      await env.close();
    }
  });

  test('a sink function that throws or rejects, and a sink that is not registered, are logged; the workflow goes on', async () => {
    const { sinks, calls } = recordingSinks();
    const { logger, errors } = errorRecorder();
    const env = await startTestEnv({ workflows: 'sink-workflows.ts', worker: { sinks, logger } });
    try {
      const handle = await env.client.workflow.start(failingSinks, {
        taskQueue: env.taskQueue,
        workflowId: 'failing-sinks',
      });
      assert.equal(await handle.result(), 'still done');
      // The calls after a failing one still ran.
      assert.deepEqual(summary(calls), ['audit:after-failures:live']);
      assert.deepEqual(
        errors.map((e) => e.msg.split(':')[0]),
        [
          'External sink function threw an error',
          'Workflow referenced an unregistered external sink',
          'External sink function threw an error',
        ],
      );
      assert.deepEqual(
        errors.map((e) => {
          const o = e.obj as { ifaceName: string; fnName: string; workflowId: string };
          return `${o.workflowId} ${o.ifaceName}.${o.fnName}`;
        }),
        [
          'failing-sinks broken.throws',
          'failing-sinks missing.call',
          'failing-sinks broken.rejects',
        ],
      );
      const types = (await handle.fetchHistory()).events.map((e) => e.type);
      assert.ok(!types.includes('WorkflowTaskFailed'), types.join(', '));
    } finally {
      await env.close();
    }
  });

  test('the sink calls of a failed workflow task run too, and its retry (not a replay) makes them again', async () => {
    const { sinks, calls } = recordingSinks();
    const { logger } = errorRecorder(); // the task failures' warnings
    const env = await startTestEnv({ workflows: 'sink-workflows.ts', worker: { sinks, logger } });
    try {
      const handle = await env.client.workflow.start(failingTask, {
        taskQueue: env.taskQueue,
        workflowId: 'failing-task',
      });
      await waitFor(() => calls.length >= 2, 'a sink call from two attempts of the task');
      await handle.terminate('done testing');
      assert.deepEqual(summary(calls).slice(0, 2), ['audit:attempt:live', 'audit:attempt:live']);
    } finally {
      await env.close();
    }
  });

  test('the worker answers the workflow task only once a sink function’s promise settled', async () => {
    let release: (() => void) | undefined;
    const sinks: InjectedSinks<TestSinks> = {
      ...recordingSinks().sinks,
      audit: {
        record: {
          fn: () =>
            new Promise<void>((resolve) => {
              release = resolve;
            }),
        },
      },
    };
    const env = await startTestEnv({ workflows: 'sink-workflows.ts', worker: { sinks } });
    try {
      const handle = await env.client.workflow.start(oneCall, {
        taskQueue: env.taskQueue,
        workflowId: 'one-call',
      });
      await waitFor(() => release !== undefined, 'the sink function to be called');
      const before = (await handle.fetchHistory()).events.map((e) => e.type);
      assert.equal(before.at(-1), 'WorkflowTaskStarted', before.join(', '));
      release?.();
      assert.equal(await handle.result(), 'answered');
    } finally {
      await env.close();
    }
  });

  test('arguments JSON cannot copy make the call throw in workflow code', async () => {
    const { sinks, calls } = recordingSinks();
    const env = await startTestEnv({ workflows: 'sink-workflows.ts', worker: { sinks } });
    try {
      const message = await env.client.workflow.execute(uncopyableArgument, {
        taskQueue: env.taskQueue,
        workflowId: 'uncopyable',
      });
      assert.match(message, /sink function audit\.record cannot be copied out of the workflow/);
      assert.deepEqual(calls, []);
    } finally {
      await env.close();
    }
  });

  test('a query handler’s sink calls run after the query, as live calls, cached or replayed', async () => {
    for (const maxCachedWorkflows of [10, 0]) {
      const { sinks, calls } = recordingSinks();
      const env = await startTestEnv({
        workflows: 'sink-workflows.ts',
        maxCachedWorkflows,
        worker: { sinks },
      });
      try {
        const handle = await env.client.workflow.start(queried, {
          taskQueue: env.taskQueue,
          workflowId: `queried-${String(maxCachedWorkflows)}`,
        });
        await waitFor(() => calls.length === 1, 'the first task’s sink call');
        assert.equal(await handle.query(peek), 'peeked');
        // Without a cache the query replays history first: its call of `audit` is not run again.
        assert.deepEqual(summary(calls), ['audit:start:live', 'audit:query:live']);
        await handle.signal(finish);
        assert.equal(await handle.result(), 'finished');
      } finally {
        await env.close();
      }
    }
  });

  test('a query handler’s log lines (log.trace at the trace level) are written once the query is answered, cached or replayed', async () => {
    for (const maxCachedWorkflows of [10, 0]) {
      const { sinks, calls } = recordingSinks();
      const { logger, infos, traces } = errorRecorder();
      const env = await startTestEnv({
        workflows: 'sink-workflows.ts',
        maxCachedWorkflows,
        worker: { sinks, logger },
      });
      const peeked = (): object[] => infos.filter((l) => l.msg === 'peeked').map((l) => l.obj);
      try {
        const workflowId = `query-log-${String(maxCachedWorkflows)}`;
        const handle = await env.client.workflow.start(queried, {
          taskQueue: env.taskQueue,
          workflowId,
        });
        await waitFor(() => calls.length === 1, 'the first task’s sink call');
        assert.equal(await handle.query(peek), 'peeked');
        // Written before the answer left: not held for the next workflow task, nor dropped
        // because the run was rebuilt from history for the query.
        assert.equal(peeked().length, 1);
        assert.deepEqual(peeked()[0], {
          workflowId,
          runId: handle.firstExecutionRunId,
          workflowType: 'queried',
          by: 'query',
        });
        // log.trace: at the logger's trace level.
        assert.deepEqual(traces, ['peeked in detail']);
        await handle.signal(finish);
        assert.equal(await handle.result(), 'finished');
        assert.equal(peeked().length, 1);
      } finally {
        await env.close();
      }
    }
  });

  test('Worker.create refuses a sinks option of the wrong shape', async () => {
    const env = await startTestEnv({ workflows: 'sink-workflows.ts' });
    try {
      await assert.rejects(
        env.startWorker({ sinks: { audit: { record: {} } } as never }),
        (e: unknown) =>
          e instanceof InvalidArgumentError && /audit\.record has no function `fn`/.test(e.message),
      );
    } finally {
      await env.close();
    }
  });
});
