import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure, ApplicationFailureCategory, log } from '../../activity/index.ts';
import { Client } from '../../client/client.ts';
import { Engine } from '../../engine/engine.ts';
import type { Logger } from '../../logger.ts';
import { Worker } from '../worker.ts';
import { fixturesPath } from '../../../test/helpers/test-env.ts';
import { shoutLocally } from '../../../test/e2e/fixtures/local-activity-workflows.ts';
import { greet } from '../../../test/e2e/fixtures/workflows.ts';
import { heartbeatThrottleMs } from './activity-runner.ts';

test("heartbeats are throttled to 80% of the heartbeat timeout, 30 s without one, at most 60 s (Temporal's rule)", () => {
  assert.equal(heartbeatThrottleMs(200), 160);
  assert.equal(heartbeatThrottleMs(30_000), 24_000);
  assert.equal(heartbeatThrottleMs(75_000), 60_000);
  assert.equal(heartbeatThrottleMs(600_000), 60_000, 'a 10-minute heartbeat timeout: every minute');
  assert.equal(heartbeatThrottleMs(undefined), 30_000);
  assert.equal(heartbeatThrottleMs(1), 1);
});

/**
 * Starts the fixture workflow that calls the activity `greet` (`isLocal` false) or the local
 * activity `shout` with `text`.
 */
function startShouting(
  client: Client,
  isLocal: boolean,
  opts: { taskQueue: string; workflowId: string; text: string },
) {
  const { taskQueue, workflowId, text } = opts;
  return isLocal
    ? client.workflow.start(shoutLocally, { taskQueue, workflowId, args: ['k', text] })
    : client.workflow.start(greet, { taskQueue, workflowId, args: [text] });
}

/** A logger that keeps each line with the bindings of the child it was written through. */
function recordingLogger(
  lines: Record<string, unknown>[],
  bindings: Record<string, unknown> = {},
): Logger {
  const write = (obj: object, msg?: string): void => {
    lines.push({ ...bindings, ...obj, msg });
  };
  return {
    trace: (obj, msg) => {
      lines.push({ ...bindings, ...obj, msg, level: 'trace' });
    },
    debug: write,
    info: write,
    warn: write,
    error: write,
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

for (const isLocal of [false, true]) {
  test(`a${isLocal ? ' local' : 'n'} activity's log lines (log.trace at the trace level) carry Temporal's activity attributes`, async () => {
    const lines: Record<string, unknown>[] = [];
    const engine = await Engine.open({ store: 'sqlite::memory:' });
    try {
      const shout = (_key: string, text: string): string => {
        log.info('shouting', { text });
        log.trace('shouting in detail');
        return text.toUpperCase();
      };
      const worker = await Worker.create({
        connection: engine.connection,
        taskQueue: 'logs',
        workflowsPath: fixturesPath(isLocal ? 'local-activity-workflows.ts' : 'workflows.ts'),
        activities: {
          shout,
          greet: (name: string) => shout('', name),
        },
        logger: recordingLogger(lines),
      });
      const client = new Client({ connection: engine.connection });
      const handle = await startShouting(client, isLocal, {
        taskQueue: 'logs',
        workflowId: 'logged',
        text: 'bo',
      });
      await worker.runUntil(handle.result());
      const line = lines.find((l) => l['msg'] === 'shouting');
      assert.ok(line, 'the activity logged');
      const keys = [
        'isLocal',
        'attempt',
        'namespace',
        'workflowId',
        'workflowRunId',
        'workflowType',
        'activityType',
        'taskQueue',
        'text',
      ];
      assert.deepEqual(Object.fromEntries(keys.map((k) => [k, line[k]])), {
        isLocal,
        attempt: 1,
        namespace: 'default',
        workflowId: 'logged',
        workflowRunId: handle.firstExecutionRunId,
        workflowType: isLocal ? 'shoutLocally' : 'greet',
        activityType: isLocal ? 'shout' : 'greet',
        taskQueue: 'logs',
        text: 'bo',
      });
      assert.equal(typeof line['activityId'], 'string');
      assert.equal(typeof line['taskToken'], 'string');
      // log.trace: at the logger's trace level, with the same attributes.
      const traced = lines.find((l) => l['msg'] === 'shouting in detail');
      assert.deepEqual(
        { level: traced?.['level'], workflowId: traced?.['workflowId'] },
        { level: 'trace', workflowId: 'logged' },
      );
    } finally {
      await engine.close();
    }
  });
}

for (const isLocal of [false, true]) {
  test(`a failed ${isLocal ? 'local ' : ''}activity attempt is logged 'Activity failed' at warn, at debug for a BENIGN ApplicationFailure (with a Duration nextRetryDelay), as Temporal's worker logs it`, async () => {
    const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
    const at =
      (level: string) =>
      (obj: object, msg?: string): void => {
        lines.push({ level, msg: msg ?? '', obj: obj as Record<string, unknown> });
      };
    const logger: Logger = {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: () => logger,
    };
    const engine = await Engine.open({ store: 'sqlite::memory:' });
    try {
      const fail = (text: string): never => {
        throw ApplicationFailure.create({
          message: `no user ${text}`,
          type: 'NoSuchUser',
          nonRetryable: true,
          nextRetryDelay: '5s',
          ...(text === 'benign' && { category: ApplicationFailureCategory.BENIGN }),
        });
      };
      const worker = await Worker.create({
        connection: engine.connection,
        taskQueue: 'failures',
        workflowsPath: fixturesPath(isLocal ? 'local-activity-workflows.ts' : 'workflows.ts'),
        activities: { shout: (_key: string, text: string) => fail(text), greet: fail },
        logger,
      });
      const client = new Client({ connection: engine.connection });
      await worker.runUntil(async () => {
        for (const text of ['benign', 'plain']) {
          const handle = await startShouting(client, isLocal, {
            taskQueue: 'failures',
            workflowId: text,
            text: text,
          });
          // The category crosses to the workflow and the client, as in Temporal.
          await assert.rejects(handle.result(), (e: Error) => {
            const cause = e.cause instanceof Error ? e.cause.cause : undefined;
            assert.ok(cause instanceof ApplicationFailure);
            assert.equal(cause.category, text === 'benign' ? 'BENIGN' : undefined);
            return true;
          });
        }
      });
      const failed = lines.filter((l) => l.msg === 'Activity failed');
      assert.deepEqual(
        failed.map((l) => [l.level, l.obj['err'], l.obj['errorType'], typeof l.obj['durationMs']]),
        [
          ['debug', 'no user benign', 'NoSuchUser', 'number'],
          ['warn', 'no user plain', 'NoSuchUser', 'number'],
        ],
      );
    } finally {
      await engine.close();
    }
  });
}

for (const isLocal of [false, true]) {
  test(`a${isLocal ? ' local' : 'n'} activity that throws an ApplicationFailure whose nextRetryDelay was set to an invalid value fails its attempt with a failure that says so`, async () => {
    const engine = await Engine.open({ store: 'sqlite::memory:' });
    try {
      const fail = (): never => {
        const f = ApplicationFailure.create({
          message: 'no such user',
          type: 'NoSuchUser',
          nonRetryable: true,
        });
        f.nextRetryDelay = 'soon';
        throw f;
      };
      const worker = await Worker.create({
        connection: engine.connection,
        taskQueue: 'bad-delay',
        workflowsPath: fixturesPath(isLocal ? 'local-activity-workflows.ts' : 'workflows.ts'),
        activities: { shout: fail, greet: fail },
        logger: recordingLogger([]),
      });
      const client = new Client({ connection: engine.connection });
      const handle = await startShouting(client, isLocal, {
        taskQueue: 'bad-delay',
        workflowId: 'bad-delay',
        text: 'x',
      });
      // Without an answer the attempt would time out after 10 s (its cause a TimeoutFailure, not
      // the activity's failure) and be retried: a guard against that hang, with room for a
      // loaded machine.
      let timer: NodeJS.Timeout | undefined;
      const noAnswer = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('the attempt was not answered within 60 s'));
        }, 60_000);
      });
      try {
        await worker.runUntil(
          assert.rejects(Promise.race([handle.result(), noAnswer]), (e: Error) => {
            const cause = e.cause instanceof Error ? e.cause.cause : undefined;
            assert.ok(cause instanceof ApplicationFailure, String(e));
            assert.equal(cause.type, 'NoSuchUser');
            assert.equal(cause.nonRetryable, true);
            assert.equal(cause.nextRetryDelay, undefined);
            assert.match(cause.message, /cannot be recorded as thrown: Invalid duration 'soon'/);
            assert.match(cause.message, /Its message: no such user$/);
            return true;
          }),
        );
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await engine.close();
    }
  });
}
