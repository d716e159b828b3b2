// The sticky cache's default size follows the worker process's V8 heap limit.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

/** defaultMaxCachedWorkflows() in a fresh node started with `flags`. */
function defaultIn(flags: readonly string[]): { cached: number; heapMiB: number } {
  const script =
    "const { defaultMaxCachedWorkflows } = await import('./src/worker/workflow-cache.ts');" +
    "const { getHeapStatistics } = await import('node:v8');" +
    'console.log(JSON.stringify({ cached: defaultMaxCachedWorkflows(),' +
    ' heapMiB: getHeapStatistics().heap_size_limit / 2 ** 20 }));';
  const out = execFileSync(
    process.execPath,
    [...flags, '--import', 'tsx', '--input-type=module', '-e', script],
    { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname },
  );
  return JSON.parse(out) as { cached: number; heapMiB: number };
}

test('the default cache is an eighth of the heap limit at 64 KiB a run, within 100 and 10,000', () => {
  const small = defaultIn(['--max-old-space-size=512']);
  assert.equal(small.cached, Math.floor((small.heapMiB * 1024) / 8 / 64));
  // The old space's 512 MiB and the young generation's size, which differs between node versions.
  assert.ok(small.cached >= 1024 && small.cached < 2048, `512 MiB heap: ${small.cached}`);
  // 11 MiB: the floor. (A process that small cannot run a worker; the bound is for the formula.)
  assert.equal(defaultIn(['--max-old-space-size=8', '--max-semi-space-size=1']).cached, 100);
  assert.equal(defaultIn(['--max-old-space-size=16384']).cached, 10_000);
});
