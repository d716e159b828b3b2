import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** Starts test/contract/fixtures/worker-process.ts and resolves once its worker is running. */
export async function startWorkerProcess(env: {
  db: string;
  taskQueue: string;
  sideEffects: string;
}): Promise<ChildProcess> {
  const child = fork(
    new URL('../contract/fixtures/worker-process.ts', import.meta.url).pathname,
    [],
    {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        REPRISE_DB: env.db,
        REPRISE_TASK_QUEUE: env.taskQueue,
        REPRISE_SIDE_EFFECTS: env.sideEffects,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => {
      resolve();
    });
    child.once('exit', (code) => {
      reject(new Error(`worker process exited early with code ${String(code)}`));
    });
  });
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
