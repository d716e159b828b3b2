// patched() while the workflows module is evaluated, before the workflow function starts: it
// throws, as in Temporal. A history recorded before (it recorded the patch's marker,
// fixtures/patched-top-level-legacy.history.json) replays as it ran.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'reprise/worker';
import { patchedTopLevel } from './fixtures/patched-top-level-workflows.ts';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import { fixturesPath, startTestEnv } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const workflows = 'patched-top-level-workflows.ts';

const patchIds = (events: HistoryEvent[]): unknown[] =>
  events.flatMap((e) => (e.type === 'MarkerRecorded' ? [e.details['patchId']] : []));
const flags = (events: HistoryEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'WorkflowTaskCompleted' ? (e.sdkFlags ?? []) : []));

describe('patched() before the workflow starts', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows });
  });
  after(async () => {
    await env.close();
  });

  test('throws an IllegalStateError and records no marker of its patch', async () => {
    const handle = await env.client.workflow.start(patchedTopLevel, {
      taskQueue: env.taskQueue,
      workflowId: 'patched-top-level',
    });
    assert.equal(
      await handle.result(),
      'IllegalStateError: Patches cannot be used before Workflow starts',
    );
    const { events } = await handle.fetchHistory();
    assert.deepEqual(patchIds(events), [], 'no marker');
    assert.deepEqual(flags(events), ['reprise/patches-before-start-throw']);
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, { events });
  });

  test('a history recorded before, where it was taken, replays as it ran', async () => {
    const history = JSON.parse(
      readFileSync(
        new URL('../replay/fixtures/patched-top-level-legacy.history.json', import.meta.url),
        'utf8',
      ),
    ) as { events: HistoryEvent[] };
    assert.deepEqual(patchIds(history.events), ['top-level']);
    assert.ok(
      history.events.some((e) => e.type === 'TimerStarted'),
      'the taken branch',
    );
    await Worker.runReplayHistory({ workflowsPath: fixturesPath(workflows) }, history);
  });
});
