import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { defaultLogger, lazyChild, writeTrace } from './logger.ts';
import type { Logger } from './logger.ts';

const requireHere = createRequire(import.meta.url);

function withLogLevel<T>(level: string | undefined, fn: () => T): T {
  const before = process.env['REPRISE_LOG_LEVEL'];
  if (level === undefined) delete process.env['REPRISE_LOG_LEVEL'];
  else process.env['REPRISE_LOG_LEVEL'] = level;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env['REPRISE_LOG_LEVEL'];
    else process.env['REPRISE_LOG_LEVEL'] = before;
  }
}

describe('defaultLogger', () => {
  test('a logger that writes nothing at its level never loads pino', () => {
    const log = withLogLevel(undefined, () => defaultLogger({ component: 'test' }));
    log.debug({ a: 1 }, 'below warn');
    log.child({ b: 2 }).info({}, 'below warn');
    assert.equal(requireHere.cache[requireHere.resolve('pino')], undefined);
  });

  test('an unknown level fails when the logger is made', () => {
    assert.throws(() => withLogLevel('loud', () => defaultLogger()), /loud/);
  });

  test("writes pino's JSON lines to stderr, with the bindings, at and above its level", async () => {
    const script = [
      "import { defaultLogger } from './src/logger.ts';",
      "const log = defaultLogger({ component: 'engine' }).child({ runId: 'r1' });",
      "log.info({ n: 1 }, 'hidden');",
      "log.warn({ n: 2 }, 'shown');",
    ].join('\n');
    const { stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { env: { ...process.env, REPRISE_LOG_LEVEL: 'warn' } },
    );
    const lines = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 1);
    assert.deepEqual(
      { level: lines[0]?.['level'], component: lines[0]?.['component'] },
      { level: 40, component: 'engine' },
    );
    assert.deepEqual(
      { runId: lines[0]?.['runId'], n: lines[0]?.['n'], msg: lines[0]?.['msg'] },
      { runId: 'r1', n: 2, msg: 'shown' },
    );
  });
});

describe('lazyChild', () => {
  test('makes the child on its first call, once, with the bindings', (t) => {
    const info = t.mock.fn<Logger['info']>();
    const child = t.mock.fn<Logger['child']>(() => ({ ...parent, info }));
    const parent: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      child,
    };
    const log = lazyChild(parent, { activityId: 'a1' });
    assert.equal(child.mock.callCount(), 0);
    log.info({ n: 1 }, 'one');
    log.info({ n: 2 }, 'two');
    assert.equal(child.mock.callCount(), 1);
    assert.deepEqual(child.mock.calls[0]?.arguments, [{ activityId: 'a1' }]);
    assert.deepEqual(
      info.mock.calls.map((c) => c.arguments),
      [
        [{ n: 1 }, 'one'],
        [{ n: 2 }, 'two'],
      ],
    );
  });
});

describe('writeTrace', () => {
  test("writes at the logger's trace level, or at debug for a logger without one", (t) => {
    const trace = t.mock.fn<NonNullable<Logger['trace']>>();
    const debug = t.mock.fn<Logger['debug']>();
    const base: Logger = {
      debug,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      child: () => base,
    };
    writeTrace({ ...base, trace }, { n: 1 }, 'fine');
    writeTrace(base, { n: 2 }, 'finer');
    lazyChild({ ...base, child: () => ({ ...base, trace }) }, {}).trace?.({ n: 3 }, 'child');
    assert.deepEqual(
      trace.mock.calls.map((c) => c.arguments),
      [
        [{ n: 1 }, 'fine'],
        [{ n: 3 }, 'child'],
      ],
    );
    assert.deepEqual(
      debug.mock.calls.map((c) => c.arguments),
      [[{ n: 2 }, 'finer']],
    );
  });
});
