import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DeterminismViolationError, Worker } from 'reprise/worker';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const workflowsPath = new URL('../e2e/fixtures/workflows.ts', import.meta.url).pathname;
const changedPath = new URL('./fixtures/changed-workflows.ts', import.meta.url).pathname;

describe('saved histories replay against the current code', () => {
  for (const name of ['sequence.history.json', 'approval.history.json']) {
    test(`${name} replays without a determinism violation`, async () => {
      await Worker.runReplayHistory({ workflowsPath }, fixture(name) as { events: unknown[] });
    });
  }

  test('changed code fails replay with DeterminismViolationError naming both sides', async () => {
    await assert.rejects(
      Worker.runReplayHistory(
        { workflowsPath: changedPath },
        fixture('sequence.history.json') as { events: unknown[] },
      ),
      (e: unknown) => {
        assert.ok(e instanceof DeterminismViolationError);
        assert.match(e.message, /ActivityTaskScheduled/);
        assert.match(e.message, /StartTimer/);
        return true;
      },
    );
  });

  test('runReplayHistories reports each history on its own', async () => {
    const results = [];
    for await (const r of Worker.runReplayHistories({ workflowsPath: changedPath }, [
      { workflowId: 'a', history: fixture('sequence.history.json') as { events: unknown[] } },
    ])) {
      results.push(r);
    }
    assert.equal(results.length, 1);
    assert.ok(results[0]?.error instanceof DeterminismViolationError);
  });

  test('something that is not a history is refused with a clear error', async () => {
    await assert.rejects(
      Worker.runReplayHistory({ workflowsPath }, { events: [{ nope: 1 }] }),
      /Not a Reprise history/,
    );
  });
});
