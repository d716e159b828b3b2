import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WatchedCall } from './native-watchdog.ts';
import {
  defaultWatchdog,
  fromAddon,
  nativeWatchdogUnavailable,
  nativeWatchedCall,
} from './native-watchdog.ts';

function watched(): WatchedCall {
  // npm install builds the addon on any machine with the toolchain the test machine has.
  const run = nativeWatchedCall();
  assert.ok(run, nativeWatchdogUnavailable());
  return run;
}

function assertTimedOut(call: () => unknown): void {
  assert.throws(call, (e: unknown) => {
    assert.equal((e as { code?: unknown }).code, 'ERR_SCRIPT_EXECUTION_TIMEOUT');
    return true;
  });
}

// A watchdog that stopped firing would hang these tests: each has a bound of its own, with room
// for a loaded machine to start a worker thread that loads tsx.
const BOUND = { timeout: 60_000 };

describe('native watchdog', () => {
  test('is built and is the default', () => {
    watched();
    assert.equal(defaultWatchdog, 'native');
  });

  test('returns what the call returns and rethrows what it throws', () => {
    const run = watched();
    assert.equal(
      run(() => 42, 1000),
      42,
    );
    assert.throws(
      () =>
        run(() => {
          throw new RangeError('thrown inside');
        }, 1000),
      RangeError,
    );
  });

  test('interrupts an endless loop in a context, then serves the next call', BOUND, () => {
    const run = watched();
    const context = vm.createContext({ count: 0 });
    const loop = new vm.Script('for (;;) count++;');
    assertTimedOut(() => run(() => loop.runInContext(context) as unknown, 50));
    assert.ok((vm.runInContext('count', context) as number) > 0, 'the loop ran until interrupted');
    // A deadline a descheduled process cannot overrun: the next call is the point, not its bound.
    assert.equal(
      run(() => vm.runInContext('count = -1', context) as number, 10_000),
      -1,
    );
  });

  test(
    'interrupts host code the context calls back, and a nested call keeps the outer deadline',
    BOUND,
    () => {
      const run = watched();
      let spins = 0;
      const context = vm.createContext({
        host: () => {
          for (;;) spins++;
        },
      });
      const inner = (): unknown => run(() => vm.runInContext('host()', context) as unknown, 60_000);
      assertTimedOut(() => run(inner, 50));
      assert.ok(spins > 0);
    },
  );

  test('a call shorter than its timeout is never interrupted later', async () => {
    const run = watched();
    for (let i = 0; i < 1000; i++) {
      try {
        run(() => i, 5);
      } catch (e) {
        // A call descheduled past its 5 ms (GC, a busy machine) may time out: not the point.
        if ((e as { code?: unknown }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
      }
    }
    // Past every deadline armed above: nothing fires into the host's own code.
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (performance.now() - started > 20) resolve();
        else setImmediate(check);
      };
      check();
    });
    assert.equal(
      run(() => 'still running', 1000),
      'still running',
    );
  });

  test(
    'each worker thread has its own watchdog, stopped when the thread exits',
    BOUND,
    async () => {
      watched();
      const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const vm = require('node:vm');
      const { run } = require(workerData.addon);
      let code;
      try { run(() => vm.runInNewContext('for (;;) {}'), 50); } catch (e) { code = e.code; }
      parentPort.postMessage(code);
    `;
      const addon = new URL(
        '../../../native/watchdog/build/Release/reprise_watchdog.node',
        import.meta.url,
      );
      const worker = new Worker(source, {
        eval: true,
        workerData: { addon: fileURLToPath(addon) },
      });
      const [code] = await Promise.all([
        new Promise<unknown>((resolve) => worker.once('message', resolve)),
        new Promise<unknown>((resolve) => worker.once('exit', resolve)),
      ]);
      assert.equal(code, 'ERR_SCRIPT_EXECUTION_TIMEOUT');
    },
  );

  test('an unbounded or huge timeout still runs the call (capped at a day)', () => {
    const run = watched();
    assert.equal(
      run(() => 1, Infinity),
      1,
    );
    assert.equal(
      run(() => 2, 1e300),
      2,
    );
  });

  test('an addon whose thread did not start is reported, not used', () => {
    const run = watched();
    assert.deepEqual(fromAddon('w.node', { run }), { call: run });
    const failed = fromAddon('w.node', {
      error: 'the watchdog thread did not start (EAGAIN: resource temporarily unavailable)',
    });
    assert.ok('unavailable' in failed);
    assert.match(failed.unavailable, /^w\.node loaded but cannot be used \(the watchdog thread/);
    assert.match(failed.unavailable, /node:vm's watchdog serves instead/);
  });
});

test(
  'sandboxes on a worker thread default to node:vm’s watchdog, without loading the addon',
  BOUND,
  async () => {
    const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import('tsx/esm/api')
      .then(({ register }) => {
        register();
        return import(workerData.module);
      })
      .then((m) => {
        const loaded = () =>
          Object.keys(require.cache).some((f) => f.endsWith('reprise_watchdog.node'));
        const before = { kind: m.defaultWatchdog, loaded: loaded() };
        // Asked for, it loads: the check above can see a loaded addon.
        m.nativeWatchedCall();
        parentPort.postMessage({ ...before, loadedWhenAsked: loaded() });
      });
  `;
    const module = new URL('./native-watchdog.ts', import.meta.url).href;
    const worker = new Worker(source, {
      eval: true,
      workerData: { module },
    });
    const seen = await new Promise<unknown>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.deepEqual(seen, { kind: 'node-vm', loaded: false, loadedWhenAsked: true });
  },
);
