// Temporal's Runtime: a signal shuts the running workers of a real process down gracefully.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Client } from 'reprise/client';
import { Engine } from 'reprise/server';
import { tempDir } from '../helpers/test-env.ts';

interface Host {
  child: ChildProcess;
  lines: string[];
  /** Resolves once the host has printed a line matching `pattern`; rejects if it exits first. */
  line(pattern: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts fixtures/runtime-signal-process.ts in `mode` on the SQLite file `db`. */
function startHost(db: string, mode: 'finish' | 'hang' | 'no-signals'): Host {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./fixtures/runtime-signal-process.ts', import.meta.url).pathname],
    {
      env: { ...process.env, REPRISE_DB: db, REPRISE_RUNTIME_MODE: mode },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );
  const line = (pattern: RegExp): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (lines.some((l) => pattern.test(l))) {
          waiters.delete(check);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.delete(check);
          reject(
            new Error(`the host exited before printing ${String(pattern)}: ${lines.join(' | ')}`),
          );
        }
      };
      waiters.add(check);
      check();
    });
  return { child, lines, line, exited };
}

describe('Runtime: shutdown signals', () => {
  let tmp: ReturnType<typeof tempDir>;
  let host: Host | undefined;

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    if (host && host.child.exitCode === null && host.child.signalCode === null) {
      host.child.kill('SIGKILL');
    }
    host = undefined;
    tmp.remove();
  });

  async function historyTypes(db: string): Promise<string[]> {
    const engine = await Engine.open({ store: `sqlite:${db}` });
    try {
      const client = new Client({ connection: engine.connection });
      const history = await client.workflow.getHandle('one-activity').fetchHistory();
      return history.events.map((e) => e.type);
    } finally {
      await engine.close();
    }
  }

  test('SIGTERM shuts the worker down: its running activity finishes within shutdownGraceTime, is recorded, and the process exits with 0', async () => {
    const db = join(tmp.dir, 'runtime.db');
    host = startHost(db, 'finish');
    await host.line(/^activity started$/);
    host.child.kill('SIGTERM');
    const exit = await host.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, host.lines.join('\n'));
    assert.ok(
      host.lines.includes('received SIGTERM: running workers shut down'),
      host.lines.join('\n'),
    );
    assert.equal(host.lines.at(-1), 'run() resolved: STOPPED');
    assert.ok((await historyTypes(db)).includes('ActivityTaskCompleted'));
  });

  test('a second SIGTERM while the workers drain ends the process, as Node does by default', async () => {
    const db = join(tmp.dir, 'runtime.db');
    host = startHost(db, 'hang');
    await host.line(/^activity started$/);
    host.child.kill('SIGTERM');
    // The drain has begun: the activity has an hour of shutdownGraceTime left.
    await host.line(/^shutting down: running activities/);
    host.child.kill('SIGTERM');
    assert.deepEqual(await host.exited, { code: null, signal: 'SIGTERM' });
    assert.ok(!host.lines.some((l) => l.startsWith('run() resolved')));
    assert.ok(!(await historyTypes(db)).includes('ActivityTaskCompleted'));
  });

  test('with Runtime.install({ shutdownSignals: [] }) the worker ignores SIGTERM, and Node ends the process', async () => {
    const db = join(tmp.dir, 'runtime.db');
    host = startHost(db, 'no-signals');
    await host.line(/^activity started$/);
    host.child.kill('SIGTERM');
    assert.deepEqual(await host.exited, { code: null, signal: 'SIGTERM' });
    assert.ok(!host.lines.some((l) => l.startsWith('received') || l.startsWith('shutting down')));
    assert.ok(!(await historyTypes(db)).includes('ActivityTaskCompleted'));
  });
});
