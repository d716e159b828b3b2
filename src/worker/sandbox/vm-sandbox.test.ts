import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { after, before, describe, test } from 'node:test';
import { bundleWorkflows } from './bundle.ts';
import type { WorkflowBundle } from './bundle.ts';
import { VmSandbox } from './vm-sandbox.ts';
import { activation, startInfo } from '../../../test/helpers/activations.ts';
import { waitFor } from '../../../test/helpers/test-env.ts';
import { SEQ_BEFORE_INTERCEPTORS_PATCH } from '../../workflow/activator.ts';

let bundle: WorkflowBundle;
let sandbox: VmSandbox;

before(async () => {
  bundle = await bundleWorkflows({ workflowsPath: 'test/runtime/workflows/isolation.ts' });
  sandbox = VmSandbox.create(bundle);
});
after(() => {
  sandbox.dispose();
});

function start(on: VmSandbox, runId: string, workflowType: string, args: unknown[] = []): void {
  on.createRun(runId, workflowType, runId);
  const result = on.activate(
    runId,
    activation([
      { type: 'initializeWorkflow', workflowType, args, info: startInfo(runId, workflowType) },
    ]),
  );
  assert.deepEqual(result, {
    status: 'success',
    commands: [{ type: 'StartTimer', seq: 1, durationMs: 10 }],
    // Every run takes the seq rule at its first durable call.
    sdkFlags: [SEQ_BEFORE_INTERCEPTORS_PATCH],
    logs: [],
  });
}

function finish(on: VmSandbox, runId: string): unknown {
  const result = on.activate(runId, activation([{ type: 'fireTimer', seq: 1 }]));
  assert.equal(result.status, 'success');
  const command = result.commands[0];
  assert.equal(command?.type, 'CompleteWorkflowExecution');
  return command.result;
}

describe('VmSandbox', () => {
  test('two runs in one sandbox see neither each other’s module state nor globals', () => {
    start(sandbox, 'a', 'isolated');
    start(sandbox, 'b', 'isolated');
    const a = finish(sandbox, 'a') as Record<string, unknown>;
    const b = finish(sandbox, 'b') as Record<string, unknown>;
    assert.equal(a['counter'], 1);
    assert.equal(b['counter'], 1);
    assert.equal(a['seenBefore'], null);
    assert.equal(b['seenBefore'], null, 'b does not see the global a set');
    assert.equal(a['leakedNow'], 'a');
    assert.equal(b['leakedNow'], 'b');
    sandbox.disposeRun('a');
    sandbox.disposeRun('b');
  });

  test('a run that adds only a symbol-keyed or a defined global keeps it from other runs', () => {
    for (const kind of ['symbol', 'defined']) {
      start(sandbox, `${kind}-a`, 'isolatedGlobal', [kind]);
      start(sandbox, `${kind}-b`, 'isolatedGlobal', [kind]);
      const a = finish(sandbox, `${kind}-a`) as Record<string, unknown>;
      const b = finish(sandbox, `${kind}-b`) as Record<string, unknown>;
      assert.deepEqual(a, { seenBefore: null, seenNow: `${kind}-a` }, kind);
      assert.deepEqual(
        b,
        { seenBefore: null, seenNow: `${kind}-b` },
        `${kind}: b sees only its own`,
      );
      sandbox.disposeRun(`${kind}-a`);
      sandbox.disposeRun(`${kind}-b`);
    }
  });

  test('built-ins are frozen: writing Array.prototype has no effect for any run', () => {
    start(sandbox, 'c', 'isolated');
    const c = finish(sandbox, 'c') as Record<string, unknown>;
    assert.equal(c['polluted'], null);
    assert.ok(['ignored', 'TypeError'].includes(String(c['protoWrite'])));
    sandbox.disposeRun('c');
  });

  test('no run changes a built-in reached only from instances, or the global object itself', () => {
    const untouched = {
      forOf: 3,
      iterator: null,
      generator: null,
      asyncFunction: null,
      stuck: null,
      globalLeaked: null,
      extensible: true,
    };
    const refused = /^TypeError: Workflow code tried to .* the global object, which every/;
    const frozen = /^TypeError: Cannot (assign to read only property|add property leaked)/;
    const expected: Record<string, RegExp> = {
      arrayIteratorNext: frozen,
      iteratorPrototype: frozen,
      generatorPrototype: frozen,
      asyncFunctionPrototype: frozen,
      nonConfigurableGlobal: /^no error$/, // defined configurable, so the host takes it away
      globalPrototype: refused,
      globalProtoAccessor: refused,
      globalPreventExtensions: refused,
      hostObjectPrototype: frozen, // the context's Object.prototype, not the worker's
    };
    for (const [kind, outcome] of Object.entries(expected)) {
      start(sandbox, `patch-${kind}`, 'patcher', [kind]);
      start(sandbox, `look-${kind}`, 'patchLooker');
      const own = finish(sandbox, `patch-${kind}`) as Record<string, unknown>;
      assert.match(String(own['outcome']), outcome, kind);
      const seenByPatcher = { ...own };
      delete seenByPatcher['outcome'];
      const stuck = kind === 'nonConfigurableGlobal' ? 'patched' : null;
      assert.deepEqual(seenByPatcher, { ...untouched, stuck }, `${kind}: the patcher itself`);
      assert.deepEqual(finish(sandbox, `look-${kind}`), untouched, `${kind}: another run`);
      sandbox.disposeRun(`patch-${kind}`);
      sandbox.disposeRun(`look-${kind}`);
    }
    assert.equal(({} as Record<string, unknown>)['leaked'], undefined, 'the worker is untouched');
  });

  test('WeakRef and FinalizationRegistry are absent', () => {
    start(sandbox, 'd', 'isolated');
    const d = finish(sandbox, 'd') as Record<string, unknown>;
    assert.equal(d['weakRef'], 'undefined');
    assert.equal(d['finalizationRegistry'], 'undefined');
    sandbox.disposeRun('d');
  });

  test('TextEncoder and TextDecoder exist, as in Temporal’s sandbox, and no run changes them', () => {
    sandbox.createRun('t', 'textCoding', 't');
    const result = sandbox.activate(
      't',
      activation([
        {
          type: 'initializeWorkflow',
          workflowType: 'textCoding',
          args: ['€ 5 𝄞'],
          info: startInfo('t', 'textCoding'),
        },
      ]),
    );
    const command = result.status === 'success' ? result.commands[0] : undefined;
    assert.equal(command?.type, 'CompleteWorkflowExecution', JSON.stringify(result));
    assert.deepEqual(command.result, {
      bytes: Array.from(new TextEncoder().encode('€ 5 𝄞')),
      roundTrip: '€ 5 𝄞',
      streamed: '€ 5 𝄞',
      patch: 'TypeError',
      stillEncodes: [0xc3, 0xa9],
    });
    sandbox.disposeRun('t');
  });

  test('atob, btoa and util’s TextEncoder exist, as in Temporal’s sandbox', () => {
    sandbox.createRun('b', 'base64', 'b');
    const result = sandbox.activate(
      'b',
      activation([
        {
          type: 'initializeWorkflow',
          workflowType: 'base64',
          args: ['h\u00e9!'],
          info: startInfo('b', 'base64'),
        },
      ]),
    );
    const command = result.status === 'success' ? result.commands[0] : undefined;
    assert.equal(command?.type, 'CompleteWorkflowExecution', JSON.stringify(result));
    assert.deepEqual(command.result, {
      encoded: globalThis.btoa('h\u00e9!'),
      decoded: 'h\u00e9!',
      invalid: 'InvalidCharacterError',
      utilEncoder: 2,
    });
    sandbox.disposeRun('b');
  });

  test('Intl.DateTimeFormat given no date formats the workflow task’s time, not the clock', () => {
    sandbox.createRun('i', 'intlNow', 'i');
    const result = sandbox.activate(
      'i',
      activation([
        {
          type: 'initializeWorkflow',
          workflowType: 'intlNow',
          args: [],
          info: startInfo('i', 'intlNow'),
        },
      ]),
    );
    const command = result.status === 'success' ? result.commands[0] : undefined;
    assert.equal(command?.type, 'CompleteWorkflowExecution', JSON.stringify(result));
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: 'UTC',
      dateStyle: 'short',
      timeStyle: 'medium',
    });
    const taskTime = format.format(activation([]).timeMs);
    assert.deepEqual(command.result, {
      format: taskTime,
      sameFunction: true,
      parts: taskTime.replace(/\s/gu, ' '),
      withDate: format.format(0),
    });
    sandbox.disposeRun('i');
  });

  test('AbortController and AbortSignal exist, as in Temporal’s sandbox, and no run changes them', () => {
    sandbox.createRun('ab', 'abortController', 'ab');
    const result = sandbox.activate(
      'ab',
      activation([
        {
          type: 'initializeWorkflow',
          workflowType: 'abortController',
          args: [],
          info: startInfo('ab', 'abortController'),
        },
      ]),
    );
    const command = result.status === 'success' ? result.commands[0] : undefined;
    assert.equal(command?.type, 'CompleteWorkflowExecution', JSON.stringify(result));
    assert.deepEqual(command.result, {
      seen: ['abort: stop'],
      aborted: true,
      anyReason: 'stop',
      ownRealm: true,
      patch: 'TypeError',
      stillAborts: true,
    });
    sandbox.disposeRun('ab');
  });

  test('assert, imported as Temporal’s sandbox maps it, exists and no run changes it', () => {
    sandbox.createRun('as', 'importedAssert', 'as');
    const result = sandbox.activate(
      'as',
      activation([
        {
          type: 'initializeWorkflow',
          workflowType: 'importedAssert',
          args: [],
          info: startInfo('as', 'importedAssert'),
        },
      ]),
    );
    const command = result.status === 'success' ? result.commands[0] : undefined;
    assert.equal(command?.type, 'CompleteWorkflowExecution', JSON.stringify(result));
    assert.deepEqual(command.result, {
      failed: 'AssertionError ERR_ASSERTION one is not two true',
      sameAssert: true,
      ownRealm: true,
      patch: 'TypeError',
      stillFails: true,
    });
    sandbox.disposeRun('as');
  });

  test('URL and URLSearchParams exist, as in Temporal’s sandbox, of the sandbox’s realm, and no run changes them', () => {
    const input = 'https://user@bücher.example:8443/a/../b?x=1#h';
    const expected = new URL(input);
    expected.searchParams.append('q', 'a b');
    expected.hash = 'top';
    for (const runId of ['url-a', 'url-b']) {
      sandbox.createRun(runId, 'urls', runId);
      const result = sandbox.activate(
        runId,
        activation([
          {
            type: 'initializeWorkflow',
            workflowType: 'urls',
            args: [input],
            info: startInfo(runId, 'urls'),
          },
        ]),
      );
      const command = result.status === 'success' ? result.commands[0] : undefined;
      assert.equal(command?.type, 'CompleteWorkflowExecution', JSON.stringify(result));
      assert.deepEqual(command.result, {
        href: expected.href,
        origin: expected.origin,
        search: expected.search,
        params: [...expected.searchParams],
        invalid: 'TypeError ERR_INVALID_URL not a url',
        instances: [true, true, true, true],
        ownRealm: [true, true, true, true],
        // Assigning a global node:vm keeps read-only is ignored, even in strict code.
        attempts: ['TypeError', 'TypeError', 'ignored', 'TypeError', 'TypeError'],
        same: true,
        stillWorks: 'https://a.example/?b=1 2',
      });
      sandbox.disposeRun(runId);
    }
  });

  test('a run disposed between calls is dropped by the next call, without a call of its own', async () => {
    start(sandbox, 'e', 'isolated');
    finish(sandbox, 'e');
    sandbox.disposeRun('e');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sandbox.pendingDisposals, 1, 'no call of its own at the end of the turn');
    start(sandbox, 'f', 'isolated');
    assert.equal(sandbox.pendingDisposals, 0, 'the next call dropped it');
    finish(sandbox, 'f');
    sandbox.disposeRun('f');
    assert.equal(sandbox.pendingDisposals, 1);
    // Nothing else comes: a call of its own drops it after the linger time.
    await waitFor(() => sandbox.pendingDisposals === 0, 'the lingering disposal');
    // Many at once do not wait that long.
    const keys = Array.from({ length: 64 }, (_, i) => `many-${i}`);
    for (const k of keys) start(sandbox, k, 'isolated');
    for (const k of keys) sandbox.disposeRun(k);
    assert.equal(sandbox.pendingDisposals, 64);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sandbox.pendingDisposals, 0, 'dropped at the end of the turn');
  });

  for (const watchdog of ['native', 'node-vm'] as const) {
    test(`an infinite loop fails the activation with the deadlock message and the host survives (${watchdog} watchdog)`, () => {
      const quick = VmSandbox.create(bundle, { deadlockTimeoutMs: 300, watchdog });
      assert.equal(quick.watchdog, watchdog);
      quick.createRun('spin', 'spinner', 'spin');
      quick.activate(
        'spin',
        activation([
          {
            type: 'initializeWorkflow',
            workflowType: 'spinner',
            args: [],
            info: startInfo('spin', 'spinner'),
          },
        ]),
      );
      const result = quick.activate('spin', activation([{ type: 'fireTimer', seq: 1 }]));
      assert.equal(result.status, 'failed');
      assert.equal(result.cause, 'WorkflowError');
      assert.equal(
        result.failure.message.split('. ')[0],
        'Potential deadlock detected: workflow code did not yield within 300 ms',
      );
      assert.equal(quick.runCount, 0, 'the deadlocked run is disposed');
      // The context still serves other runs after the interruption.
      start(quick, 'after', 'isolated');
      assert.equal((finish(quick, 'after') as Record<string, unknown>)['counter'], 1);
      quick.dispose();
    });
  }

  for (const watchdog of ['native', 'node-vm'] as const) {
    test(`an endless chain of microtasks is interrupted and the host's async hooks survive (${watchdog} watchdog)`, async () => {
      const quick = VmSandbox.create(bundle, { deadlockTimeoutMs: 300, watchdog });
      start(quick, 'chain', 'microtaskSpinner');
      const result = quick.activate('chain', activation([{ type: 'fireTimer', seq: 1 }]));
      assert.equal(result.status, 'failed');
      assert.match(result.failure.message, /^Potential deadlock detected/);
      // Node aborts at the next callback boundary if the interrupt left its async-id stack
      // pushed: cross a few (a timer, an immediate, a promise job) before going on.
      const storage = new AsyncLocalStorage<string>();
      const seen = await storage.run('host', async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await new Promise((resolve) => setImmediate(resolve));
        await Promise.resolve();
        return storage.getStore();
      });
      assert.equal(seen, 'host', 'the host’s async context is intact');
      start(quick, 'after-chain', 'isolated');
      assert.equal((finish(quick, 'after-chain') as Record<string, unknown>)['counter'], 1);
      quick.dispose();
    });
  }

  test('with deadlock detection off (debug mode) a long call is not interrupted', () => {
    // The same call under the same timeout, with the watchdog and without it. The timeout also
    // bounds the sandbox's set-up (6–18 ms here when idle), so it leaves room for a busy machine.
    for (const detectDeadlocks of [true, false]) {
      const quick = VmSandbox.create(bundle, { deadlockTimeoutMs: 200, detectDeadlocks });
      assert.equal(quick.watchdog, detectDeadlocks ? 'native' : undefined);
      start(quick, 'blocked', 'blockedFor', [800]);
      const result = quick.activate('blocked', activation([{ type: 'fireTimer', seq: 1 }]));
      if (detectDeadlocks) {
        assert.equal(result.status, 'failed');
        assert.match(result.failure.message, /^Potential deadlock detected/);
      } else {
        assert.deepEqual(result.status === 'success' && result.commands, [
          { type: 'CompleteWorkflowExecution', result: 800 },
        ]);
      }
      quick.dispose();
    }
  });
});
