import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { waitFor } from '../../test/helpers/test-env.ts';
import { isGone, placeOf, thisProcess } from './process-liveness.ts';

// /proc is Linux's: elsewhere no process is ever judged gone (the timeouts apply).
describe('process liveness', { skip: process.platform !== 'linux' }, () => {
  test('this process has a place on Linux: host key, pid and start time', () => {
    const me = thisProcess();
    assert.equal(me.pid, process.pid);
    assert.match(me.hostKey ?? '', /^[0-9a-f-]{36} pid:\[\d+\]$/);
    assert.match(me.pidStart ?? '', /^\d+$/);
    assert.equal(isGone(me), false);
  });

  test('a child is alive until SIGKILLed, then gone', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    const pid = child.pid;
    assert.ok(pid !== undefined);
    const place = placeOf(pid);
    assert.equal(isGone(place), false);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    assert.equal(isGone(place), true);
  });

  test('a pid that now belongs to a process started at another time is gone', () => {
    const me = thisProcess();
    assert.equal(isGone({ ...me, pidStart: '1' }), true);
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    try {
      assert.ok(child.pid !== undefined);
      assert.equal(isGone({ ...placeOf(child.pid), pidStart: '1' }), true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a zombie (exited, not yet reaped by its parent) is gone', async () => {
    // The shell starts `sleep 0` and becomes `sleep 600`, which never reaps it (nor ends, and
    // lets init reap it, however slowly a loaded machine runs the test).
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 600'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = Number(
        await new Promise<string>((resolve) =>
          parent.stdout.once('data', (d) => {
            resolve(String(d));
          }),
        ),
      );
      const place = placeOf(pid);
      await waitFor(() => isGone(place), 'the child to exit');
      assert.doesNotThrow(() => process.kill(pid, 0), 'the zombie still has its pid');
    } finally {
      parent.kill('SIGKILL');
    }
  });

  test('a process elsewhere (another host key) is never judged gone', () => {
    assert.equal(
      isGone({ hostKey: 'another-boot pid:[1]', pid: 999_999_999, pidStart: '1' }),
      false,
    );
    assert.equal(isGone({ hostKey: undefined, pid: 999_999_999, pidStart: undefined }), false);
  });
});
