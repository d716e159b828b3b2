// A run that closes while signal or update handlers are still running logs a warning, as in
// Temporal: when it completes, is cancelled or continues as new; not when it fails, and not for
// handlers set with `unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError } from 'reprise/client';
import type { WorkerOptions } from 'reprise/worker';
import {
  closesUnderHandlers,
  slowSignal,
  slowUpdate,
} from './fixtures/unfinished-handler-workflows.ts';
import type { Ending } from './fixtures/unfinished-handler-workflows.ts';
import { startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

describe('unfinished handler warnings', () => {
  const warned: { attrs: Record<string, unknown>; message: string }[] = [];
  const logger: NonNullable<WorkerOptions['logger']> = {
    debug: () => undefined,
    info: () => undefined,
    warn: (attrs, message) => {
      warned.push({ attrs: attrs as Record<string, unknown>, message: message ?? '' });
    },
    error: () => undefined,
    child: () => logger,
  };
  let env: TestEnv;
  let n = 0;

  before(async () => {
    env = await startTestEnv({ workflows: 'unfinished-handler-workflows.ts', worker: { logger } });
  });
  after(async () => {
    await env.close();
  });

  /** Runs a workflow that ends as `ending` under two signal handlers and one update handler. */
  const closeUnderHandlers = async (
    ending: Ending,
    abandon = false,
  ): Promise<{ warnings: typeof warned; updateId: string }> => {
    const workflowId = `unfinished-${ending}-${abandon ? 'abandon' : 'warn'}-${++n}`;
    const handle = await env.client.workflow.start(closesUnderHandlers, {
      taskQueue: env.taskQueue,
      workflowId,
      args: [ending, abandon, 2],
    });
    await handle.signal(slowSignal);
    await handle.signal(slowSignal);
    const update = await handle.startUpdate(slowUpdate, { waitForStage: 'ACCEPTED' });
    if (ending === 'cancel') await handle.cancel();
    await handle.result().catch((e: unknown) => {
      assert.ok(e instanceof WorkflowFailedError);
    });
    const warnings = warned.filter((w) => w.attrs['workflowId'] === workflowId);
    return { warnings, updateId: update.updateId };
  };

  for (const ending of ['complete', 'cancel', 'continue'] as const) {
    test(`a run that ends by ${ending} warns of the update and signal handlers still running`, async () => {
      const { warnings, updateId } = await closeUnderHandlers(ending);
      assert.equal(warnings.length, 2, JSON.stringify(warnings));
      const [updates, signals] = warnings;
      assert.match(updates?.message ?? '', /update handlers were still running/);
      assert.match(updates?.message ?? '', /allHandlersFinished/);
      assert.match(updates?.message ?? '', /HandlerUnfinishedPolicy\.ABANDON/);
      assert.deepEqual(updates?.attrs['unfinishedUpdates'], [{ name: 'slowUpdate', id: updateId }]);
      assert.match(signals?.message ?? '', /signal handlers were still running/);
      assert.deepEqual(signals?.attrs['unfinishedSignals'], [{ name: 'slowSignal', count: 2 }]);
    });
  }

  test('a run that fails does not warn (as in Temporal)', async () => {
    const { warnings } = await closeUnderHandlers('fail');
    assert.deepEqual(warnings, []);
  });

  test('handlers set with unfinishedPolicy ABANDON are not warned of', async () => {
    for (const ending of ['complete', 'cancel', 'continue'] as const) {
      const { warnings } = await closeUnderHandlers(ending, true);
      assert.deepEqual(warnings, [], ending);
    }
  });
});
