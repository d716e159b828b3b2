import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, test } from 'node:test';
import type { ActivationJob } from '../protocol/activation.ts';
import { activation, startInfo } from '../../test/helpers/activations.ts';
import type { Command } from '../protocol/commands.ts';
import { Activator } from './activator.ts';
import { cancelListenerCount, installScopeStorage } from './cancellation-scope.ts';
import { setActivator } from './context.ts';
import { collectGarbage } from '../../test/helpers/gc.ts';
import {
  CancellationScope,
  Trigger,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from './index.ts';
import { ruleFlags } from '../../test/helpers/rule-flags.ts';

const { charge } = proxyActivities<{ charge(i: number): Promise<string> }>({
  startToCloseTimeout: '1 minute',
});

/** Each step: an activity, a timer and a condition, one after another, all in the root scope. */
async function many(n: number): Promise<number> {
  for (let i = 0; i < n; i++) {
    await charge(i);
    await sleep(1000);
    let ready = false;
    void sleep(1).then(() => (ready = true));
    await condition(() => ready);
  }
  return n;
}

/** Waits `n` times on a condition that never holds, until its timeout: a scope per call. */
async function timeouts(n: number): Promise<number> {
  for (let i = 0; i < n; i++) await condition(() => false, 1000);
  return n;
}

/** Each step: an activity in a cancellable scope of its own (never cancelled), then a child. */
async function scopedSteps(n: number): Promise<number> {
  for (let i = 0; i < n; i++) {
    await CancellationScope.cancellable(() => charge(i));
    await executeChild('kid', { workflowId: `kid-${i}` });
  }
  await CancellationScope.cancellable(() => charge(n)); // left waiting
  return n;
}

/**
 * Waits in a scope of its own on a Trigger nothing else holds until the workflow is cancelled,
 * then cleans up: the Trigger's listener is all that keeps the wait, and the scope, alive.
 */
async function waitTillCancelled(): Promise<string> {
  try {
    await CancellationScope.cancellable(async () => {
      await new Trigger<void>();
    });
  } catch {
    await CancellationScope.nonCancellable(() => charge(0));
    return 'cleaned up';
  }
  return 'never';
}

/**
 * Temporal's clean-up pattern: a reaction on the scope's cancelRequested, chained before the
 * sleep it outlives, starts a clean-up activity that cancellation does not reach.
 */
async function cleanupChainedFirst(): Promise<string> {
  void CancellationScope.current().cancelRequested.catch(() =>
    CancellationScope.nonCancellable(() => charge(0)),
  );
  try {
    await sleep(60_000);
    return 'slept';
  } catch {
    return 'cancelled';
  }
}

/** Sets handlers with Temporal's `description` option, then replaces and removes some. */
async function described(): Promise<void> {
  const status = defineQuery<string>('status');
  const approve = defineSignal('approve');
  const add = defineUpdate<number, [string]>('add');
  setHandler(status, () => 'ok', { description: 'the status' });
  setHandler(approve, () => undefined, { description: 'approves' });
  setHandler(add, (item) => item.length, { description: 'adds', validator: () => undefined });
  setHandler(defineQuery<string>('other'), () => 'x', { description: 'another' });
  setHandler(approve, () => undefined); // replaced, undescribed
  setHandler(defineQuery<string>('other'), undefined); // removed
  await sleep(1000);
}

/** One activation as the sandbox runs it: the jobs, the microtasks, the conditions; commands. */
async function activate(
  activator: Activator,
  jobs: ActivationJob[],
  isReplaying = false,
): Promise<Command[]> {
  return (await activateWithFlags(activator, jobs, isReplaying)).commands;
}

/** {@link activate}, with the internal rules the activation took (its `sdkFlags`). */
async function activateWithFlags(
  activator: Activator,
  jobs: ActivationJob[],
  isReplaying = false,
): Promise<{ commands: Command[]; sdkFlags: string[] | undefined }> {
  setActivator(activator);
  activator.activate({ ...activation(jobs), isReplaying });
  do await new Promise((resolve) => setImmediate(resolve));
  while (activator.tryUnblockConditions() > 0);
  const result = activator.conclude();
  if (result.status !== 'success') assert.fail(JSON.stringify(result));
  // Less the seq rule every run takes at its first durable call (see ruleFlags).
  const flags = result.sdkFlags && ruleFlags(result.sdkFlags);
  return { commands: result.commands, sdkFlags: flags?.length === 0 ? undefined : flags };
}

/** The run's first activation: `workflowType` started with `args` (replayed, if told). */
function start(
  activator: Activator,
  workflowType: string,
  args: unknown[],
  isReplaying = false,
): Promise<Command[]> {
  return activate(activator, [startJob(workflowType, args)], isReplaying);
}

function startJob(workflowType: string, args: unknown[]): ActivationJob {
  return { type: 'initializeWorkflow', workflowType, args, info: startInfo('run', workflowType) };
}

// As the host gives the sandbox its scopes' storage.
installScopeStorage(new AsyncLocalStorage<unknown>());

describe('Activator', () => {
  test("keeps the description a handler was set with (Temporal's handler option)", async () => {
    const activator = new Activator({ randomSeed: 'seed', instantiate: () => ({ described }) });
    await start(activator, 'described', []);
    assert.deepEqual(
      [
        activator.handlerDescription('query', 'status'),
        activator.handlerDescription('update', 'add'),
        activator.handlerDescription('signal', 'approve'),
        activator.handlerDescription('query', 'other'),
        activator.handlerDescription('signal', 'status'),
      ],
      ['the status', 'adds', undefined, undefined, undefined],
    );
    setActivator(undefined);
  });

  test('an operation that settled leaves no listener on its scope', async () => {
    const activator = new Activator({ randomSeed: 'seed', instantiate: () => ({ many }) });
    let commands = await start(activator, 'many', [50]);
    for (let step = 0; step < 50; step++) {
      const activity = commands.find((c) => c.type === 'ScheduleActivityTask');
      assert.ok(activity?.type === 'ScheduleActivityTask', JSON.stringify(commands));
      assert.equal(cancelListenerCount(activator.rootScope), 1, 'the activity waiting');
      commands = await activate(activator, [
        {
          type: 'resolveActivity',
          seq: activity.seq,
          resolution: { status: 'completed', result: 'ok' },
        },
      ]);
      const [timer] = commands;
      assert.ok(timer?.type === 'StartTimer', JSON.stringify(commands));
      commands = await activate(activator, [{ type: 'fireTimer', seq: timer.seq }]);
      // The condition waits on a timer of its own: two operations.
      assert.equal(cancelListenerCount(activator.rootScope), 2, 'the condition and its timer');
      const [conditionTimer] = commands;
      assert.ok(conditionTimer?.type === 'StartTimer', JSON.stringify(commands));
      commands = await activate(activator, [{ type: 'fireTimer', seq: conditionTimer.seq }]);
    }
    assert.deepEqual(commands, [{ type: 'CompleteWorkflowExecution', result: 50 }]);
    assert.equal(cancelListenerCount(activator.rootScope), 0);
    setActivator(undefined);
  });

  test('child scopes and child workflows that settled are let go of; a pending one still hears cancellation', async () => {
    const activator = new Activator({ randomSeed: 'seed', instantiate: () => ({ scopedSteps }) });
    let commands = await start(activator, 'scopedSteps', [100]);
    for (let step = 0; step < 100; step++) {
      const activity = commands.find((c) => c.type === 'ScheduleActivityTask');
      assert.ok(activity?.type === 'ScheduleActivityTask', JSON.stringify(commands));
      commands = await activate(activator, [
        {
          type: 'resolveActivity',
          seq: activity.seq,
          resolution: { status: 'completed', result: 'ok' },
        },
      ]);
      const child = commands.find((c) => c.type === 'StartChildWorkflowExecution');
      assert.ok(child?.type === 'StartChildWorkflowExecution', JSON.stringify(commands));
      commands = await activate(activator, [
        {
          type: 'resolveChildWorkflowExecutionStart',
          seq: child.seq,
          resolution: { status: 'started', runId: `r${step}` },
        },
        {
          type: 'resolveChildWorkflowExecution',
          seq: child.seq,
          resolution: { status: 'completed', result: step },
        },
      ]);
      await collectGarbage();
    }
    // The links of collected scopes were taken out after each collection: the pending one stays.
    const held = cancelListenerCount(activator.rootScope);
    assert.ok(held <= 4, `${held} listeners on the root scope after 100 steps`);
    const [last] = commands;
    assert.ok(last?.type === 'ScheduleActivityTask', JSON.stringify(commands));
    await collectGarbage();
    commands = await activate(activator, [{ type: 'cancelWorkflow', reason: 'done' }]);
    assert.deepEqual(commands, [{ type: 'RequestCancelActivityTask', seq: last.seq }]);
    setActivator(undefined);
  });

  test('a child scope in which a Trigger waits is kept, however often garbage is collected', async () => {
    const activator = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ waitTillCancelled }),
    });
    assert.deepEqual(await start(activator, 'waitTillCancelled', []), []);
    await collectGarbage();
    await collectGarbage();
    const commands = await activate(activator, [{ type: 'cancelWorkflow', reason: 'stop' }]);
    assert.deepEqual(
      commands.map((c) => c.type),
      ['ScheduleActivityTask'],
    );
    setActivator(undefined);
  });

  test('code chained on cancelRequested and the operations of its scope hear cancellation in the order each began', async () => {
    const activator = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ cleanupChainedFirst }),
    });
    const [timer] = await start(activator, 'cleanupChainedFirst', []);
    assert.ok(timer?.type === 'StartTimer');
    const commands = await activate(activator, [{ type: 'cancelWorkflow', reason: 'stop' }]);
    // Temporal's order, which histories recorded by Temporal's SDK or Reprise replay against.
    assert.deepEqual(
      commands.map((c) => c.type),
      ['ScheduleActivityTask', 'CancelTimer', 'CompleteWorkflowExecution'],
    );
    setActivator(undefined);
  });

  test('a condition with a timeout leaves nothing on the scope it was called in', async () => {
    const activator = new Activator({ randomSeed: 'seed', instantiate: () => ({ timeouts }) });
    let commands = await start(activator, 'timeouts', [30]);
    for (let round = 0; round < 30; round++) {
      const [timer] = commands;
      assert.ok(timer?.type === 'StartTimer', JSON.stringify(commands));
      // The call's own scope, listening on the root: one, however many rounds before.
      assert.equal(cancelListenerCount(activator.rootScope), 1);
      commands = await activate(activator, [{ type: 'fireTimer', seq: timer.seq }]);
    }
    assert.deepEqual(commands, [{ type: 'CompleteWorkflowExecution', result: 30 }]);
    assert.equal(cancelListenerCount(activator.rootScope), 0);
    setActivator(undefined);
  });

  test('a trigger that settled leaves no listener on its scope', async () => {
    const activator = new Activator({ randomSeed: 'seed', instantiate: () => ({}) });
    setActivator(activator);
    const resolved = new Trigger<string>();
    const rejected = new Trigger<string>();
    const pending = new Trigger<string>();
    assert.equal(cancelListenerCount(activator.rootScope), 3);
    resolved.resolve('done');
    rejected.reject(new Error('no'));
    assert.equal(cancelListenerCount(activator.rootScope), 1, 'the pending one');
    assert.equal(await resolved, 'done');
    await assert.rejects(Promise.resolve(rejected), /no/);
    activator.rootScope.cancel();
    await assert.rejects(Promise.resolve(pending), /cancelled/);
    setActivator(undefined);
  });
});

/** Waits for the workflow's cancellation, having listened on a non-cancellable scope's promise. */
async function shieldHears(): Promise<string[]> {
  const seen: string[] = [];
  const shield = new CancellationScope({ cancellable: false });
  shield.cancelRequested.catch((e: unknown) => {
    seen.push(`shield heard: ${(e as Error).message}`);
  });
  // A timer inside the non-cancellable scope: it does not hear the workflow's cancellation.
  const inside = shield
    .run(() => sleep(1000))
    .then(
      () => 'inside slept',
      () => 'inside cancelled',
    );
  try {
    await sleep(60_000);
  } catch {
    seen.push(`considered cancelled: ${String(shield.consideredCancelled)}`);
  }
  seen.push(await inside);
  return seen;
}

/** Cancels a non-cancellable scope by hand: what runs inside it goes on, its promise rejects. */
async function shieldCancelledByHand(): Promise<string[]> {
  const seen: string[] = [];
  const shield = new CancellationScope({ cancellable: false });
  const inner = new CancellationScope({ parent: shield });
  shield.cancelRequested.catch(() => seen.push('shield heard'));
  const timer = shield
    .run(() => sleep(1000))
    .then(
      () => 'timer slept',
      () => 'timer cancelled',
    );
  const innerTimer = inner
    .run(() => sleep(2000))
    .then(
      () => 'inner slept',
      () => 'inner cancelled',
    );
  shield.cancel();
  seen.push(await timer, await innerTimer, `inner cancelled: ${String(inner.consideredCancelled)}`);
  return seen;
}

/** A scope timeout of 0, by withTimeout and by the option: no timeout. */
async function zeroTimeouts(): Promise<string> {
  await CancellationScope.withTimeout(0, () => sleep(10));
  await new CancellationScope({ timeout: '0s' }).run(() => sleep(20));
  return 'slept';
}

/** `condition` given no timeout, as untyped code may: `null`, `undefined`. */
async function conditionWithoutTimeout(): Promise<string> {
  let ready = false;
  void sleep(10).then(() => {
    ready = true;
  });
  await condition(() => ready, null as unknown as number);
  await condition(() => ready, undefined as unknown as number);
  return 'ready';
}

/** The two replay flags of workflowInfo().unsafe where `seen` was called, e.g. 'replay/history'. */
function replayFlags(): string {
  const { isReplaying, isReplayingHistoryEvents } = workflowInfo().unsafe;
  return `${isReplaying ? 'replay' : 'live'}/${isReplayingHistoryEvents ? 'history' : 'new'}`;
}

/** Records its replay flags in the body, in a query handler and in an update validator. */
async function replayProbe(seen: string[]): Promise<void> {
  setHandler(defineQuery<string>('flags'), replayFlags);
  setHandler(defineUpdate<null>('poke'), () => null, {
    validator: () => {
      seen.push(`validator:${replayFlags()}`);
    },
  });
  seen.push(`body:${replayFlags()}`);
  await sleep(1000);
}

describe('workflowInfo().unsafe, as in Temporal', () => {
  test('isReplayingHistoryEvents is true only while history is replayed: not in a query or an update validator', async () => {
    const seen: string[] = [];
    const query = (activator: Activator) => {
      const answer = activator.query({ queryType: 'flags', args: [] });
      assert.equal(answer.status, 'success');
      return (answer as { result: unknown }).result;
    };
    const poke: ActivationJob = {
      type: 'doUpdate',
      updateId: 'u1',
      name: 'poke',
      args: [],
      runValidator: true,
    };

    const replayed = new Activator({ randomSeed: 'seed', instantiate: () => ({ replayProbe }) });
    await start(replayed, 'replayProbe', [seen], true);
    // A query on a run just rebuilt by replay: the last activation replayed, the query is live.
    assert.equal(query(replayed), 'replay/new');
    await activate(replayed, [poke], true);

    const live = new Activator({ randomSeed: 'seed', instantiate: () => ({ replayProbe }) });
    await start(live, 'replayProbe', [seen]);
    assert.equal(query(live), 'live/new');

    assert.deepEqual(seen, ['body:replay/history', 'validator:replay/new', 'body:live/new']);
  });
});

describe('non-cancellable scopes and scope timeouts, as in Temporal', () => {
  test("a non-cancellable scope's cancelRequested rejects when its parent is cancelled; what runs inside goes on", async () => {
    const activator = new Activator({ randomSeed: 'seed', instantiate: () => ({ shieldHears }) });
    const started = await start(activator, 'shieldHears', []);
    assert.deepEqual(
      started.map((c) => c.type === 'StartTimer' && c.durationMs),
      [1000, 60_000],
    );
    const cancelled = await activateWithFlags(activator, [
      { type: 'cancelWorkflow', reason: 'stop' },
    ]);
    assert.deepEqual(cancelled.commands, [{ type: 'CancelTimer', seq: 2 }], 'no marker');
    assert.deepEqual(cancelled.sdkFlags, ['reprise/non-cancellable-scope-shields']);
    const commands = await activate(activator, [{ type: 'fireTimer', seq: 1 }]);
    assert.deepEqual(commands, [
      {
        type: 'CompleteWorkflowExecution',
        result: ['shield heard: Workflow cancelled', 'considered cancelled: false', 'inside slept'],
      },
    ]);
    setActivator(undefined);
  });

  test('cancelling a non-cancellable scope rejects its cancelRequested alone: its operations and child scopes go on', async () => {
    const activator = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ shieldCancelledByHand }),
    });
    const { commands, sdkFlags } = await activateWithFlags(activator, [
      startJob('shieldCancelledByHand', []),
    ]);
    assert.deepEqual(
      commands.map((c) => c.type),
      ['StartTimer', 'StartTimer'],
      'no CancelTimer, no marker',
    );
    assert.deepEqual(sdkFlags, ['reprise/non-cancellable-scope-shields']);
    await activate(activator, [{ type: 'fireTimer', seq: 1 }]);
    assert.deepEqual(await activate(activator, [{ type: 'fireTimer', seq: 2 }]), [
      {
        type: 'CompleteWorkflowExecution',
        result: ['shield heard', 'timer slept', 'inner slept', 'inner cancelled: false'],
      },
    ]);
    setActivator(undefined);
  });

  test('condition with a null or undefined timeout waits without a timer', async () => {
    const activator = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ conditionWithoutTimeout }),
    });
    const commands = await start(activator, 'conditionWithoutTimeout', []);
    assert.deepEqual(commands, [{ type: 'StartTimer', seq: 1, durationMs: 10 }], 'the sleep alone');
    const fired = await activateWithFlags(activator, [{ type: 'fireTimer', seq: 1 }]);
    assert.deepEqual(fired.commands, [{ type: 'CompleteWorkflowExecution', result: 'ready' }]);
    // The second condition is true at its call.
    assert.deepEqual(fired.sdkFlags, ['reprise/condition-checked-at-call']);
    setActivator(undefined);
  });

  test('a scope timeout of 0 starts no timer', async () => {
    const activator = new Activator({ randomSeed: 'seed', instantiate: () => ({ zeroTimeouts }) });
    const started = await activateWithFlags(activator, [startJob('zeroTimeouts', [])]);
    assert.deepEqual(started.commands, [{ type: 'StartTimer', seq: 1, durationMs: 10 }]);
    assert.deepEqual(started.sdkFlags, ['reprise/scope-timeout-zero-is-none']);
    let commands = await activate(activator, [{ type: 'fireTimer', seq: 1 }]);
    assert.deepEqual(commands, [{ type: 'StartTimer', seq: 2, durationMs: 20 }]);
    commands = await activate(activator, [{ type: 'fireTimer', seq: 2 }]);
    assert.deepEqual(commands, [{ type: 'CompleteWorkflowExecution', result: 'slept' }]);
    setActivator(undefined);
  });
});

/** A condition true at its call, false right after: which of it and a 10 ms timer settles first. */
async function conditionTrueAtCall(): Promise<string> {
  let ready = true;
  const waited = condition(() => ready);
  ready = false;
  return Promise.race([waited.then(() => 'condition'), sleep(10).then(() => 'timer')]);
}

/** Which continues first: a condition true at its call, or a chain of five microtasks. */
async function conditionBeforeMicrotasks(): Promise<string[]> {
  const order: string[] = [];
  await Promise.all([
    condition(() => true).then(() => order.push('condition')),
    (async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      order.push('microtasks');
    })(),
  ]);
  return order;
}

describe('condition checks its function at the call, as in Temporal', () => {
  const flag = 'reprise/condition-checked-at-call';

  test('a condition true at its call resolves, even if false by the end of the activation', async () => {
    const activator = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ conditionTrueAtCall }),
    });
    const { commands, sdkFlags } = await activateWithFlags(activator, [
      startJob('conditionTrueAtCall', []),
    ]);
    assert.deepEqual(commands, [
      { type: 'StartTimer', seq: 1, durationMs: 10 },
      { type: 'CompleteWorkflowExecution', result: 'condition' },
    ]);
    assert.deepEqual(sdkFlags, [flag]);
    setActivator(undefined);
  });

  test('a condition true at its call continues before a longer chain of microtasks', async () => {
    const activator = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ conditionBeforeMicrotasks }),
    });
    const { commands, sdkFlags } = await activateWithFlags(activator, [
      startJob('conditionBeforeMicrotasks', []),
    ]);
    assert.deepEqual(commands, [
      { type: 'CompleteWorkflowExecution', result: ['condition', 'microtasks'] },
    ]);
    assert.deepEqual(sdkFlags, [flag]);
    setActivator(undefined);
  });

  test('a history recorded before (no flag) replays as it ran: fn checked once the microtasks ran', async () => {
    const activator = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ conditionTrueAtCall }),
    });
    assert.deepEqual(await start(activator, 'conditionTrueAtCall', [], true), [
      { type: 'StartTimer', seq: 1, durationMs: 10 },
    ]);
    assert.deepEqual(await activate(activator, [{ type: 'fireTimer', seq: 1 }], true), [
      { type: 'CompleteWorkflowExecution', result: 'timer' },
    ]);
    setActivator(undefined);
    const ordered = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ conditionBeforeMicrotasks }),
    });
    assert.deepEqual(await start(ordered, 'conditionBeforeMicrotasks', [], true), [
      { type: 'CompleteWorkflowExecution', result: ['microtasks', 'condition'] },
    ]);
    setActivator(undefined);
  });

  test('a history with the flag (or, recorded before flags, the marker) replays the rule', async () => {
    const activator = new Activator({
      randomSeed: 'seed',
      instantiate: () => ({ conditionTrueAtCall }),
    });
    const { commands, sdkFlags } = await activateWithFlags(
      activator,
      [{ type: 'notifyHasPatch', patchId: flag }, startJob('conditionTrueAtCall', [])],
      true,
    );
    assert.equal(sdkFlags, undefined, 'recorded already');
    assert.deepEqual(commands, [
      { type: 'StartTimer', seq: 1, durationMs: 10 },
      { type: 'CompleteWorkflowExecution', result: 'condition' },
    ]);
    setActivator(undefined);
  });
});
