import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { testStoreUrl } from './test-store.ts';

/** Forks `script` (TypeScript, through tsx) with `env`, and resolves with its first message. */
export async function forkUntilMessage(
  script: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; message: unknown }> {
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const message = await new Promise<unknown>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => {
      reject(new Error(`${script} exited early with code ${String(code)}`));
    });
  });
  return { child, message };
}

/**
 * Starts test/contract/fixtures/worker-process.ts on the test store of file `db` (test-store.ts)
 * and resolves once its worker is running.
 */
export async function startWorkerProcess(env: {
  db: string;
  taskQueue: string;
  sideEffects: string;
}): Promise<ChildProcess> {
  const { child } = await forkUntilMessage(
    new URL('../contract/fixtures/worker-process.ts', import.meta.url).pathname,
    {
      REPRISE_STORE: await testStoreUrl(env.db),
      REPRISE_TASK_QUEUE: env.taskQueue,
      REPRISE_SIDE_EFFECTS: env.sideEffects,
    },
  );
  return child;
}

/** SIGKILLs the process and waits until it is gone. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGKILL');
  await gone;
}
