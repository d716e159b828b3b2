import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { isGone, placeOf, thisProcess } from './process-liveness.ts';

describe('process liveness', () => {
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
  });

  test('a process elsewhere (another host key) is never judged gone', () => {
    assert.equal(
      isGone({ hostKey: 'another-boot pid:[1]', pid: 999_999_999, pidStart: '1' }),
      false,
    );
    assert.equal(isGone({ hostKey: undefined, pid: 999_999_999, pidStart: undefined }), false);
  });
});
