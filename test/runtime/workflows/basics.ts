import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  uuid4,
  workflowInfo,
} from 'reprise/workflow';
import type * as activities from './activities.ts';

const { charge, greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export const approve = defineSignal<[string]>('approve');
export const status = defineQuery<string>('status');

/** Sleeps for `ms`, then returns 'slept'. */
export async function sleeper(ms: number): Promise<string> {
  await sleep(ms);
  return 'slept';
}

/** Charges an amount through an activity and returns the receipt. */
export async function charger(amount: number): Promise<string> {
  return await charge(amount);
}

/** Charges `n` times, a timer after each: many operations in one run. */
export async function chargeMany(n: number): Promise<number> {
  for (let i = 0; i < n; i++) {
    await charge(i);
    await sleep(10);
  }
  return n;
}

/** Charges `n` times, each in a cancellable scope of its own that is never cancelled. */
export async function scopedCharges(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await CancellationScope.cancellable(() => charge(i));
  return n;
}

/** Charges through the task queue: no eager dispatch. */
export async function queuedCharger(amount: number): Promise<string> {
  const { charge: queued } = proxyActivities<typeof activities>({
    startToCloseTimeout: '1 minute',
    allowEagerDispatch: false,
  });
  return await queued(amount);
}

/** Waits for the approve signal, then returns who approved. */
export async function approval(): Promise<string> {
  let approvedBy: string | undefined;
  setHandler(approve, (who) => {
    approvedBy = who;
  });
  setHandler(status, () => (approvedBy === undefined ? 'waiting' : 'approved'));
  await condition(() => approvedBy !== undefined);
  return approvedBy ?? '';
}

/** Waits for approval for at most `ms`: returns whether it came in time. */
export async function approvalWithDeadline(ms: number): Promise<string> {
  let approved = false;
  setHandler(approve, () => {
    approved = true;
  });
  const inTime = await condition(() => approved, ms);
  return inTime ? 'approved' : 'timed out';
}

/** Waits for `n` approvals, each with a deadline it meets: a timer cancelled per round. */
export async function approvals(n: number): Promise<number> {
  let count = 0;
  setHandler(approve, () => {
    count++;
  });
  for (let i = 0; i < n; i++) await condition(() => count > i, 60_000);
  return count;
}

/**
 * Clears a timeout of `ms` on the first approval, and returns how the wait ended on the second
 * (a task that issues nothing but the timer's cancellation).
 */
export async function clearTimeoutOnApproval(ms: number): Promise<string> {
  let approvals = 0;
  let outcome = 'waiting';
  const timeout = setTimeout(() => {
    outcome = 'timed out';
  }, ms);
  setHandler(approve, () => {
    if (++approvals > 1) return;
    clearTimeout(timeout);
    outcome = 'approved';
  });
  await condition(() => approvals > 1);
  return outcome;
}

/** Charges, and reports how a failed charge surfaced in the workflow. */
export async function chargeOrReport(amount: number): Promise<string> {
  try {
    return await charge(amount);
  } catch (e) {
    if (e instanceof ActivityFailure && e.cause instanceof ApplicationFailure) {
      return `${e.name}|${e.activityType}|${e.cause.type ?? ''}|${e.cause.message}`;
    }
    throw e;
  }
}

/** Buffers signals: sets the handler only after a timer, then returns what it got. */
export async function lateHandler(): Promise<string[]> {
  const got: string[] = [];
  await sleep(1000);
  setHandler(approve, (who) => {
    got.push(who);
  });
  return got;
}

export const draw = defineQuery<[number, string]>('draw');

/** Reads the deterministic sources twice, across a timer; its query draws from them too. */
export async function determinism(): Promise<unknown[]> {
  setHandler(draw, () => [Math.random(), uuid4()] as [number, string]);
  const first = {
    now: Date.now(),
    iso: new Date().toISOString(),
    random: Math.random(),
    uuid: uuid4(),
  };
  await sleep(1000);
  const second = { now: Date.now(), random: Math.random(), uuid: uuid4() };
  return [first, second, workflowInfo().runId];
}

/** Throws a plain TypeError: a bug, not a workflow failure. */
export async function throwsPlainError(): Promise<void> {
  await Promise.resolve();
  throw new TypeError('boom');
}

/** Throws an ApplicationFailure: the workflow fails. */
export async function throwsApplicationFailure(): Promise<void> {
  await Promise.resolve();
  throw ApplicationFailure.nonRetryable('bad input', 'BadInput');
}

/** Sleeps an hour; cleans up in a non-cancellable scope when cancelled, then rethrows. */
export async function cancellable(): Promise<string> {
  try {
    await sleep('1 hour');
    return 'woke';
  } catch (e) {
    if (isCancellation(e)) {
      await CancellationScope.nonCancellable(() => greet('cleanup'));
    }
    throw e;
  }
}

/** Logs, on first execution only. */
export async function logger(): Promise<void> {
  log.info('hello', { n: 1 });
  // eslint-disable-next-line no-console -- the sandbox's console goes to the workflow log
  console.log('from console');
  await sleep(1);
}

/** Sleeps, charges, sleeps: three waits in turn, for what `__stack_trace` names after a replay. */
export async function sleepChargeSleep(amount: number): Promise<string> {
  await sleep(10);
  const receipt = await charge(amount);
  await sleep(20);
  return receipt;
}

/** A query whose handler (wrongly) answers with a promise, as untyped code may. */
export const asyncAnswer = defineQuery<Promise<string>, [boolean]>('asyncAnswer');

/** Its query handler is (wrongly) async: it resolves, or rejects when told to. */
export async function asyncQueryHandler(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/require-await -- async on purpose: it is refused
  setHandler(asyncAnswer, async (reject) => {
    if (reject) throw new Error('rejected answer');
    return 'answer';
  });
  await sleep(1);
}

export const meddle = defineQuery<string, [string]>('meddle');

/**
 * Charges three times with explicit activity ids; its query handler (wrongly) starts what it is
 * told to: an activity, a timer, a patch or a condition.
 */
export async function meddlingQuery(): Promise<string> {
  const byId = (activityId: string) =>
    proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute', activityId });
  setHandler(meddle, (what) => {
    if (what === 'activity') void byId('from-query').charge(0);
    else if (what === 'timer') void sleep(5);
    else if (what === 'patch') patched('from-query');
    else void condition(() => true);
    return 'meddled';
  });
  await byId('a').charge(1);
  const b = byId('b').charge(2);
  const c = byId('c').charge(3);
  return `${await b} ${await c}`;
}

export const pick = defineUpdate<number, [number]>('pick');

/** Takes one `pick` update (its validator draws random numbers), sleeps, returns a random number. */
export async function validatorDraws(): Promise<number> {
  let picked = 0;
  setHandler(pick, (n) => (picked = n), {
    validator: () => {
      if (Math.random() < 0 || uuid4() === '') throw new Error('never');
    },
  });
  await condition(() => picked > 0);
  await sleep(10);
  return Math.random();
}

/**
 * Starts a charge and sleeps before it awaits it: a charge that fails while the code waits on the
 * timer leaves its rejection unhandled, unless the timer fires in the same activation.
 */
export async function chargeAwaitedLate(amount: number): Promise<string> {
  const receipt = charge(amount);
  await sleep(10);
  try {
    return await receipt;
  } catch (e) {
    return `caught: ${e instanceof ActivityFailure && e.cause instanceof Error ? e.cause.message : String(e)}`;
  }
}

/** Its signal handler rejects a promise that nothing ever handles. */
export async function forgetfulHandler(): Promise<void> {
  setHandler(approve, () => {
    void Promise.reject(new Error('forgotten in a handler'));
  });
  await condition(() => false);
}

/** Rejects a promise of its own Promise subclass that nothing ever handles. */
export async function forgetfulSubclass(): Promise<void> {
  class Deferred<T> extends Promise<T> {}
  void Deferred.reject(new Error('forgotten in a subclass'));
  await condition(() => false);
}

/**
 * Starts a child that is cancelled with WAIT_CANCELLATION_REQUESTED once it started, then waits
 * for its result.
 */
export async function cancelsChildWaitingForRequest(): Promise<string> {
  const scope = new CancellationScope();
  const child = await scope.run(() =>
    startChild('kid', {
      workflowId: 'kid-1',
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_REQUESTED,
    }),
  );
  scope.cancel();
  try {
    return `done: ${String(await child.result())}`;
  } catch (e) {
    return `caught: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** An abort listener that throws: abort() does not, and the error fails the task. */
export async function abortListenerThrows(): Promise<string> {
  const controller = new AbortController();
  const ran: string[] = [];
  controller.signal.addEventListener('abort', () => {
    throw new Error('listener failed');
  });
  controller.signal.addEventListener('abort', () => {
    ran.push('next');
  });
  controller.abort();
  return Promise.resolve(ran.join(','));
}
