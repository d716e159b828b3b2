import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../engine/engine.ts';
import { IllegalStateError, InvalidArgumentError } from '../errors.ts';
import { DefaultLogger } from './default-logger.ts';
import type { LogEntry } from './default-logger.ts';
import { Runtime } from './runtime.ts';
import { Worker } from './worker.ts';

// One runtime per process: the refusals run first, then the one install, then what follows it.
describe('Runtime', () => {
  test('install refuses telemetryOptions, pointing at the worker options that replace them', () => {
    assert.throws(
      () => Runtime.install({ telemetryOptions: { metrics: {} } } as never),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /Pass metricMeter to Worker\.create/.test(e.message),
    );
  });

  test('install refuses a shutdown signal that is none, or that a process cannot catch', () => {
    for (const signal of ['SIGNOPE', 'SIGKILL', 'SIGSTOP']) {
      assert.throws(
        () => Runtime.install({ shutdownSignals: [signal as NodeJS.Signals] }),
        InvalidArgumentError,
      );
    }
  });

  test('a worker holds the signal handlers only while it runs, and the signal shuts it down and removes them', async () => {
    const entries: LogEntry[] = [];
    const runtime = Runtime.install({
      shutdownSignals: ['SIGUSR2'],
      logger: new DefaultLogger('INFO', (e) => entries.push(e)),
    });
    assert.equal(Runtime.instance(), runtime);
    assert.throws(
      () => Runtime.install({}),
      (e: unknown) => e instanceof IllegalStateError && /already been installed/.test(e.message),
    );
    const before = process.listenerCount('SIGUSR2');
    const engine = await Engine.open({ store: 'sqlite::memory:' });
    try {
      const worker = await Worker.create({
        connection: engine.connection,
        taskQueue: 'runtime',
        activities: { noop: () => undefined },
      });
      assert.equal(process.listenerCount('SIGUSR2'), before, 'no handler before run()');
      const running = worker.run();
      assert.equal(process.listenerCount('SIGUSR2'), before + 1, 'a handler while it runs');
      process.kill(process.pid, 'SIGUSR2');
      await running;
      assert.equal(worker.getState(), 'STOPPED');
      assert.equal(process.listenerCount('SIGUSR2'), before, 'none once the signal came');
      assert.ok(
        entries.some(
          (e) => e.level === 'INFO' && e.message === 'received SIGUSR2: running workers shut down',
        ),
      );
      // After the signal the runtime is shutting down: a worker that starts now stops at once.
      const late = await Worker.create({
        connection: engine.connection,
        taskQueue: 'runtime',
        activities: { noop: () => undefined },
      });
      await late.run();
      assert.equal(late.getState(), 'STOPPED');
      assert.equal(process.listenerCount('SIGUSR2'), before);
    } finally {
      await engine.close();
    }
  });
});
