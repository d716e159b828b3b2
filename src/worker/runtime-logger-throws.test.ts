import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../engine/engine.ts';
import { DefaultLogger } from './default-logger.ts';
import { Runtime } from './runtime.ts';
import { Worker } from './worker.ts';

// A file of its own: one runtime per process, installed here with a logger that throws.
test('a shutdown signal stops the running workers even when the runtime’s logger throws', async () => {
  Runtime.install({
    shutdownSignals: ['SIGUSR2'],
    logger: new DefaultLogger('INFO', () => {
      throw new Error('the log sink is down');
    }),
  });
  const engine = await Engine.open({ store: 'sqlite::memory:' });
  try {
    const worker = await Worker.create({
      connection: engine.connection,
      taskQueue: 'runtime-logger-throws',
      activities: { noop: () => undefined },
    });
    const running = worker.run();
    process.kill(process.pid, 'SIGUSR2');
    await running;
    assert.equal(worker.getState(), 'STOPPED');
  } finally {
    await engine.close();
  }
});
