import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from '../errors.ts';
import { DefaultLogger } from './default-logger.ts';
import type { LogEntry } from './default-logger.ts';

test("DefaultLogger takes Temporal's (message, meta) and pino's (obj, message), drops calls below its level, and binds child attributes", () => {
  const entries: LogEntry[] = [];
  const logger = new DefaultLogger('INFO', (e) => entries.push(e));
  logger.debug('dropped');
  logger.info('temporal shape', { a: 1 });
  logger.warn({ b: 2 }, 'pino shape');
  logger.child({ taskQueue: 'q' }).error({ c: 3 }, 'child');
  logger.info('no meta');
  assert.deepEqual(
    entries.map(({ level, message, meta }) => ({ level, message, meta })),
    [
      { level: 'INFO', message: 'temporal shape', meta: { a: 1 } },
      { level: 'WARN', message: 'pino shape', meta: { b: 2 } },
      { level: 'ERROR', message: 'child', meta: { taskQueue: 'q', c: 3 } },
      { level: 'INFO', message: 'no meta', meta: undefined },
    ],
  );
  const ms = Number((entries[0]?.timestampNanos ?? 0n) / 1_000_000n);
  assert.ok(Math.abs(ms - Date.now()) < 60_000, 'the timestamp is wall-clock time');
});

test('DefaultLogger refuses an unknown level', () => {
  assert.throws(() => new DefaultLogger('LOUD' as never), InvalidArgumentError);
});
