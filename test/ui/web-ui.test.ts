// The web UI in a real browser (Debian's Chromium, driven by playwright-core) against an engine
// on a real SQLite file, served over HTTP on loopback, with a worker running the e2e fixtures.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { WorkflowFailedError } from 'reprise/client';
import type { EngineServer } from 'reprise/server';
import * as activities from '../e2e/fixtures/activities.ts';
import { startTestEnv, tempDir, waitFor } from '../helpers/test-env.ts';
import type { TestEnv } from '../helpers/test-env.ts';

const CHROMIUM = '/usr/bin/chromium';
/** Flags for a machine without internet: without them Chromium keeps trying to reach Google. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** How long the page may take to show what a test waits for. */
const SHOWN_MS = 10_000;

describe('web UI in a browser', () => {
  let env: TestEnv;
  let server: EngineServer;
  let page: Page;
  /** What `before` set up, undone in reverse order (also when it failed halfway). */
  const cleanups: (() => unknown)[] = [];
  /** Errors the page's script threw and did not catch. */
  const pageErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      assert.fail(
        `The web UI's browser tests need Chromium at ${CHROMIUM}, which is missing: install it ` +
          '(apt-get update && apt-get install -y chromium) and run them again.',
      );
    }
    env = await startTestEnv({ activities });
    cleanups.push(() => env.close());
    server = await env.engine.listen({ port: 0 });
    cleanups.push(() => server.close());
    const userData = tempDir();
    cleanups.push(userData.remove);
    const browser: BrowserContext = await chromium.launchPersistentContext(userData.dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    cleanups.push(() => browser.close());
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(SHOWN_MS);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const runUrl = (workflowId: string, runId: string | undefined) =>
    `${server.url}/namespaces/default/workflows/${workflowId}/${runId ?? ''}`;
  const start = (type: string, workflowId: string, args: unknown[]) =>
    env.client.workflow.start(type, { taskQueue: env.taskQueue, workflowId, args });

  test('the list shows the runs, newest first, each with its type and status', async () => {
    const greeted = await start('greet', 'ui-greet', ['<b>Ana</b>']);
    await greeted.result();
    const failed = await start('failing', 'ui-failing', ['application']);
    await assert.rejects(failed.result(), WorkflowFailedError);
    await start('waitForApproval', 'ui-approval', []);

    await page.goto(`${server.url}/`);
    const rows = page.locator('table.runs tbody tr');
    await waitForText(rows.first(), 'ui-approval');
    assert.deepEqual((await rows.locator('td:first-child').allTextContents()).slice(0, 3), [
      'ui-approval',
      'ui-failing',
      'ui-greet',
    ]);
    const greetRow = rows.filter({ hasText: 'ui-greet' });
    assert.deepEqual((await greetRow.locator('td').allTextContents()).slice(2, 4), [
      'greet',
      'Completed',
    ]);
    assert.equal(
      await rows.filter({ hasText: 'ui-failing' }).locator('.status').textContent(),
      'Failed',
    );
    assert.equal(
      await rows.filter({ hasText: 'ui-approval' }).locator('.status').textContent(),
      'Running',
    );
  });

  test('the filter narrows the list, and a query the engine refuses shows its message', async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('List filter').fill("WorkflowType = 'greet'");
    await page.getByLabel('List filter').press('Enter');
    const rows = page.locator('table.runs tbody tr');
    await waitFor(async () => (await rows.count()) === 1, 'the list to show one run');
    assert.equal(await rows.locator('td:first-child').textContent(), 'ui-greet');
    assert.match(page.url(), /\?query=WorkflowType/);

    await page.getByLabel('List filter').fill('WorkflowType = ');
    await page.getByLabel('List filter').press('Enter');
    const error = page.locator('p.error');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /^InvalidArgument: /);
    assert.equal(await page.locator('table.runs').isVisible(), false);
  });

  test("a run's page shows its history, its input and its result, as text", async () => {
    await page.goto(`${server.url}/`);
    await page.locator('table.runs a', { hasText: 'ui-greet' }).click();
    await page.waitForURL(/\/namespaces\/default\/workflows\/ui-greet\//);
    const history = page.locator('table.history tbody tr.event');
    await waitForText(history.last(), 'WorkflowExecutionCompleted');
    const types = await history.locator('td.type').allTextContents();
    assert.equal(types[0], 'WorkflowExecutionStarted');
    assert.ok(types.includes('ActivityTaskScheduled'));
    assert.match(
      (await history.filter({ hasText: 'ActivityTaskScheduled' }).textContent()) ?? '',
      /greet \(id 1\)/,
    );
    assert.equal(await page.locator('h1 .status').textContent(), 'Completed');

    const io = page.locator('section.io');
    assert.deepEqual(JSON.parse((await io.locator('pre.json').first().textContent()) ?? ''), [
      '<b>Ana</b>',
    ]);
    assert.equal(await io.locator('h2.outcome').textContent(), 'Result');
    assert.equal(
      JSON.parse((await io.locator('pre.json').nth(1).textContent()) ?? ''),
      'Hello, <b>Ana</b>!',
    );
    assert.equal(await page.locator('main b').count(), 0, 'values are shown as text, not markup');

    // A row opens to the event's full JSON.
    const scheduled = history.filter({ hasText: 'ActivityTaskScheduled' });
    await scheduled.click();
    const detail = page.locator('tr.event-detail:visible pre');
    const json = JSON.parse((await detail.textContent()) ?? '') as Record<string, unknown>;
    assert.equal(json['activityType'], 'greet');
  });

  test("a failed run's page shows its failure", async () => {
    await page.goto(`${server.url}/`);
    await page.locator('table.runs a', { hasText: 'ui-failing' }).click();
    const outcome = page.locator('section.io h2.outcome');
    await waitForText(outcome, 'Failure');
    assert.match(
      (await page.locator('section.io .failure').textContent()) ?? '',
      /ApplicationFailure\(Rejected, non-retryable\): claim rejected/,
    );
  });

  test('a query from the page shows the answer, or the refusal', async () => {
    await page.goto(`${server.url}/`);
    await page.locator('table.runs a', { hasText: 'ui-approval' }).click();
    await waitForText(page.locator('h1 .status'), 'Running');
    await waitForText(page.locator('section.card'), 'waits for a signal');

    const query = page.getByRole('form', { name: 'Query' });
    await query.getByLabel('Query name').fill('status');
    await query.getByRole('button').click();
    await waitForText(query.locator('pre.answer'), '"waiting"');

    await query.getByLabel('Query name').fill('nope');
    await query.getByRole('button').click();
    await query.locator('p.error').waitFor({ state: 'visible' });
    assert.match((await query.locator('p.error').textContent()) ?? '', /nope/);
  });

  test('a signal sent from the page moves the run on', async () => {
    const handle = env.client.workflow.getHandle('ui-approval');
    await page.goto(`${server.url}/`);
    await page.locator('table.runs a', { hasText: 'ui-approval' }).click();
    const signal = page.getByRole('form', { name: 'Signal' });
    await signal.getByLabel('Signal name').fill('approve');
    await signal.getByLabel('Signal arguments').fill('{"by": "<i>ana</i>"}');
    await signal.getByRole('button').click();

    assert.equal(await handle.result(), 'approved by <i>ana</i>');
    await waitForText(page.locator('h1 .status'), 'Completed');
    const signaled = page.locator('tr.event', { hasText: 'WorkflowExecutionSignaled' });
    assert.match((await signaled.textContent()) ?? '', /approve \[\{"by":"<i>ana<\/i>"\}\]/);
    await waitForText(page.locator('section.io h2.outcome'), 'Result');
    assert.equal(await signal.isVisible(), false, 'a closed run takes no signal');
  });

  test("a run the engine does not have shows the engine's message", async () => {
    await page.goto(runUrl('ui-nobody', randomUUID()));
    const error = page.locator('p.error').first();
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /^WorkflowNotFound: .*ui-nobody/);
  });

  test("an open run's page follows it: a signal sent elsewhere and its close show up", async () => {
    const handle = await start('waitForApproval', 'ui-approval-elsewhere', []);
    await page.goto(runUrl('ui-approval-elsewhere', handle.firstExecutionRunId));
    await waitForText(page.locator('h1 .status'), 'Running');
    await waitForText(page.locator('tr.event').last(), 'WorkflowTaskCompleted');

    await handle.signal('approve', { by: 'bo' });
    assert.equal(await handle.result(), 'approved by bo');
    await waitForText(page.locator('h1 .status'), 'Completed');
    await waitForText(page.locator('tr.event'), 'WorkflowExecutionSignaled');
    await waitForText(page.locator('section.io'), 'approved by bo');
  });

  test('a retrying activity shows its attempts and last failure; terminate ends the run', async () => {
    const handle = await start('retryCounter', 'ui-retrying', [5]);
    await page.goto(runUrl('ui-retrying', handle.firstExecutionRunId));
    const pending = page.locator('.pending', { hasText: 'Activity failTimes' });
    // Its last failure is that of the attempt before; which one depends on the machine's pace.
    await waitForText(pending, /attempt \d fails/);
    assert.match((await pending.textContent()) ?? '', /Attempt\s*[2-9]/);

    const terminate = page.getByRole('form', { name: 'Terminate' });
    await terminate.getByLabel('Termination reason').fill('stuck on a card');
    await terminate.getByRole('button').click();
    await assert.rejects(handle.result(), WorkflowFailedError);
    assert.equal((await handle.describe()).status, 'Terminated');
    await waitForText(page.locator('h1 .status'), 'Terminated');
    await waitForText(page.locator('section.io'), 'Reason: stuck on a card');
  });

  test('cancel from the page asks the workflow to cancel, and it does', async () => {
    const handle = await start('cancellable', 'ui-cancellable', []);
    await page.goto(runUrl('ui-cancellable', handle.firstExecutionRunId));
    await waitForText(page.locator('.pending'), 'Timer');
    await page.getByRole('form', { name: 'Cancel' }).getByRole('button').click();
    await assert.rejects(handle.result(), WorkflowFailedError);
    await waitForText(page.locator('h1 .status'), 'Canceled');
    await waitForText(page.locator('tr.event'), 'WorkflowExecutionCancelRequested');
  });

  test('an engine that wants an API key gets it from the page, which then shows the runs', async () => {
    const keyed = await env.engine.listen({ port: 0, apiKey: 'sesame' });
    try {
      await page.goto(`${keyed.url}/`);
      const keyBar = page.locator('#api-key');
      await waitForText(keyBar, 'This engine wants an API key.');
      assert.match((await page.locator('p.error').textContent()) ?? '', /^Unauthenticated: /);

      await keyBar.getByLabel('API key').fill('open-up');
      await keyBar.getByRole('button').click();
      await waitForText(page.locator('#api-key'), 'The engine refused the API key.');

      await page.locator('#api-key').getByLabel('API key').fill('sesame');
      await page.locator('#api-key').getByRole('button').click();
      await waitForText(page.locator('table.runs tbody tr'), 'ui-greet');
      assert.equal(await page.locator('#api-key').count(), 0);
    } finally {
      await keyed.close();
    }
  });

  test("the page's script threw no uncaught error in all the above", () => {
    assert.deepEqual(pageErrors, []);
  });
});

/** Waits until `locator` matches an element that shows `text`. */
async function waitForText(locator: Locator, text: string | RegExp): Promise<void> {
  await locator.filter({ hasText: text }).waitFor();
}
