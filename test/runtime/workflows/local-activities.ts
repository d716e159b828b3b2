// Runtime fixtures for local activities: activation jobs in, commands out (no worker, no engine).
import { CancellationScope, isCancellation, proxyLocalActivities, sleep } from 'reprise/workflow';

interface Activities {
  a(input: string): Promise<string>;
  b(input: string): Promise<string>;
}

const { a, b } = proxyLocalActivities<Activities>({ startToCloseTimeout: '5s' });

/** Two local activities at once; the end of `a` starts a timer. */
export async function concurrentLocals(): Promise<string[]> {
  const afterA = a('x').then(async (result) => {
    await sleep(5);
    return result;
  });
  return await Promise.all([afterA, b('y')]);
}

export async function oneLocal(): Promise<string> {
  return await a('x');
}

const abandoned = proxyLocalActivities<Activities>({
  startToCloseTimeout: '5s',
  cancellationType: 'ABANDON',
});

/** Cancels an ABANDON call in the activation that makes it, then calls `b`. */
export async function abandonedAtOnce(): Promise<string[]> {
  const scope = new CancellationScope();
  const first = scope.run(() => abandoned.a('x'));
  scope.cancel();
  const outcome = await first.then(
    () => 'resolved',
    (e: unknown) => (isCancellation(e) ? 'cancelled' : 'failed'),
  );
  return [outcome, await b('y')];
}

/** Awaits its local activity only after a timer: a failure in between is left unhandled. */
export async function localAwaitedLate(): Promise<string> {
  const result = a('x');
  await sleep(10);
  try {
    return await result;
  } catch {
    return 'caught';
  }
}
