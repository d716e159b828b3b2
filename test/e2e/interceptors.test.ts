// Worker interceptors (Temporal's `interceptors.activity`): each factory is called per attempt
// with its Context, its inbound `execute` wraps the activity and local activity functions, and its
// outbound `getLogAttributes` adds to the lines they log.
// Workflow interceptors (`interceptors.workflowModules`): workflow-interceptors.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ActivityInterceptorsFactory, WorkerOptions } from 'reprise/worker';
import * as activities from './fixtures/data-converter-activities.ts';
import { logTwice, shoutTwice } from './fixtures/interceptor-workflows.ts';
import { startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('activity interceptors', () => {
  const calls: string[] = [];
  /** Records its name around the call, and marks the arguments and the result. */
  const tagging =
    (name: string): ActivityInterceptorsFactory =>
    (ctx) => ({
      inbound: {
        execute: async (input, next) => {
          calls.push(`${name}>${ctx.info.activityType}:${ctx.info.isLocal ? 'local' : 'remote'}`);
          const result = await next({
            ...input,
            args: input.args.map((a) => `${String(a)}+${name}`),
          });
          calls.push(`${name}<`);
          return `${String(result)}[${name}]`;
        },
      },
    });
  /** Adds its name to the `by` attribute of each line the activity logs. */
  const attributing =
    (name: string): ActivityInterceptorsFactory =>
    () => ({
      outbound: {
        getLogAttributes: (input, next) =>
          next({ ...input, by: [...((input['by'] as string[] | undefined) ?? []), name] }),
      },
    });
  const lines: { attrs: Record<string, unknown>; message: string | undefined }[] = [];
  const logger: NonNullable<WorkerOptions['logger']> = {
    debug: () => undefined,
    info: (attrs, message) => {
      lines.push({ attrs: { ...attrs }, message });
    },
    warn: () => undefined,
    error: () => undefined,
    child: () => logger,
  };
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({
      workflows: 'interceptor-workflows.ts',
      activities,
      worker: {
        interceptors: {
          activity: [
            tagging('outer'),
            attributing('first'),
            tagging('inner'),
            attributing('second'),
            () => ({}),
          ],
        },
        logger,
      },
    });
  });
  after(async () => {
    await env.close();
  });

  test('inbound execute wraps each activity and local activity, the first factory outermost', async () => {
    const result = await env.client.workflow.execute(shoutTwice, {
      workflowId: 'interceptors-shout',
      taskQueue: env.taskQueue,
      args: ['hi'],
    });
    assert.deepEqual(result, ['HI+OUTER+INNER![inner][outer]', 'HI+OUTER+INNER![inner][outer]']);
    assert.deepEqual(calls, [
      'outer>shout:remote',
      'inner>shout:remote',
      'inner<',
      'outer<',
      'outer>shout:local',
      'inner>shout:local',
      'inner<',
      'outer<',
    ]);
  });

  test('outbound getLogAttributes adds to each line an activity logs, the first factory outermost', async () => {
    const result = await env.client.workflow.execute(logTwice, {
      workflowId: 'interceptors-log',
      taskQueue: env.taskQueue,
      args: ['hi'],
    });
    assert.deepEqual(result, ['hi+outer+inner[inner][outer]', 'hi+outer+inner[inner][outer]']);
    assert.deepEqual(
      lines.filter((l) => l.message === 'activity logged').map((l) => l.attrs),
      [
        { by: ['first', 'second'], s: 'hi+outer+inner' },
        { by: ['first', 'second'], s: 'hi+outer+inner' },
      ],
    );
  });
});
