// Client interceptors (`new Client({ interceptors: { workflow: [...] } })`, Temporal's
// WorkflowClientInterceptor): each call of client.workflow and of a handle goes through them,
// the first listed outermost, with the input the interceptor before passed on; against a real
// engine on SQLite and a worker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  InvalidArgumentError,
  WorkflowNotFoundError,
  defaultPayloadConverter,
} from './index.ts';
import type { WorkflowClientInterceptor } from './index.ts';
import * as activities from '../../test/e2e/fixtures/message-activities.ts';
import { addItem, addToCart, cart, itemsQuery } from '../../test/e2e/fixtures/message-workflows.ts';
import { startTestEnv } from '../../test/helpers/test-env.ts';
import type { TestEnv } from '../../test/helpers/test-env.ts';

/** An interceptor that logs `<name>:<method>` around every call, entering and leaving. */
function recorder(name: string, log: string[]): WorkflowClientInterceptor {
  const around =
    <I, O>(method: string) =>
    async (input: I, next: (input: I) => Promise<O>): Promise<O> => {
      log.push(`${name}>${method}`);
      const out = await next(input);
      log.push(`${name}<${method}`);
      return out;
    };
  return {
    startWithDetails: around('startWithDetails'),
    signalWithStart: around('signalWithStart'),
    signal: around('signal'),
    query: around('query'),
    startUpdate: around('startUpdate'),
    describe: around('describe'),
    cancel: around('cancel'),
    terminate: around('terminate'),
  };
}

describe('client interceptors', () => {
  let env: TestEnv;
  before(async () => {
    env = await startTestEnv({ workflows: 'message-workflows.ts', activities });
  });
  after(async () => {
    await env.close();
  });

  test('every workflow call goes through the interceptors, the first listed outermost', async () => {
    const log: string[] = [];
    const client = new Client({
      connection: env.engine.connection,
      interceptors: { workflow: [recorder('a', log), recorder('b', log)] },
    });
    const each = (method: string): string[] => [
      `a>${method}`,
      `b>${method}`,
      `b<${method}`,
      `a<${method}`,
    ];
    const handle = await client.workflow.start(cart, {
      workflowId: 'client-interceptors-order',
      taskQueue: env.taskQueue,
      args: ['ann'],
    });
    await handle.signal(addToCart, 'apple');
    assert.deepEqual(await handle.query(itemsQuery), ['apple']);
    assert.equal(await handle.executeUpdate(addItem, { args: ['pear'] }), 2);
    await (await handle.startUpdate(addItem, { args: ['fig'], waitForStage: 'ACCEPTED' })).result();
    await client.workflow.signalWithStart(cart, {
      workflowId: 'client-interceptors-order',
      taskQueue: env.taskQueue,
      args: ['ann'],
      signal: addToCart,
      signalArgs: ['plum'],
    });
    assert.equal((await handle.describe()).status, 'Running');
    await handle.cancel();
    await handle.terminate('done');
    assert.deepEqual(log, [
      ...each('startWithDetails'),
      ...each('signal'),
      ...each('query'),
      ...each('startUpdate'),
      ...each('startUpdate'),
      ...each('signalWithStart'),
      ...each('describe'),
      ...each('cancel'),
      ...each('terminate'),
    ]);
  });

  test('what an interceptor passes to next is what the call sends', async () => {
    const shout: WorkflowClientInterceptor = {
      startWithDetails: (input, next) =>
        next({ ...input, options: { ...input.options, args: ['BOB'] } }),
      signal: (input, next) =>
        next({ ...input, args: input.args.map((a) => String(a).toUpperCase()) }),
      startUpdate: (input, next) => next({ ...input, args: ['KIWI'] }),
      query: async (input, next) => [...((await next(input)) as string[]), '(seen)'],
      terminate: (input, next) => next({ ...input, reason: `${input.reason ?? ''}!` }),
    };
    const client = new Client({
      connection: env.engine.connection,
      interceptors: { workflow: [shout] },
    });
    const handle = await client.workflow.start(cart, {
      workflowId: 'client-interceptors-input',
      taskQueue: env.taskQueue,
      args: ['bob'],
    });
    await handle.signal(addToCart, 'apple');
    assert.equal(await handle.executeUpdate(addItem, { args: ['pear'] }), 2);
    assert.deepEqual(await handle.query(itemsQuery), ['APPLE', 'KIWI', '(seen)']);
    await handle.terminate('stop');
    const { events } = await handle.fetchHistory();
    const started = events[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.deepEqual(started.input, ['BOB']);
    const terminated = events.at(-1);
    assert.ok(terminated?.type === 'WorkflowExecutionTerminated');
    assert.equal(terminated.reason, 'stop!');
  });

  test('startWithDetails wraps start, in one chain with interceptors that implement only start', async () => {
    const log: string[] = [];
    const legacy: WorkflowClientInterceptor = {
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- the form being adapted
      start: async (input, next) => {
        log.push('legacy>');
        const runId = await next({ ...input, options: { ...input.options, args: ['dee'] } });
        log.push(`legacy<${typeof runId}`);
        return runId;
      },
    };
    const detailed: WorkflowClientInterceptor = {
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- ignored beside startWithDetails
      start: () => Promise.reject(new Error('start is not called when startWithDetails is there')),
      startWithDetails: async (input, next) => {
        log.push(`detailed>${String(input.options.args[0])}`);
        const out = await next({ ...input, options: { ...input.options, args: ['DEE'] } });
        log.push(`detailed<${String(out.eagerlyStarted)}`);
        return out;
      },
    };
    const client = new Client({
      connection: env.engine.connection,
      interceptors: { workflow: [legacy, detailed] },
    });
    const handle = await client.workflow.start(cart, {
      workflowId: 'client-interceptors-details',
      taskQueue: env.taskQueue,
      args: ['dee'],
    });
    assert.deepEqual(log, ['legacy>', 'detailed>dee', 'detailed<false', 'legacy<string']);
    assert.equal(handle.eagerlyStarted, false);
    const { events } = await handle.fetchHistory();
    const started = events[0];
    assert.ok(started?.type === 'WorkflowExecutionStarted');
    assert.deepEqual(started.input, ['DEE']);
    assert.equal(handle.firstExecutionRunId, (await handle.describe()).runId);
    await handle.terminate();
  });

  test('a header that is not a Payload is refused with InvalidArgumentError and starts nothing', async () => {
    const bad: WorkflowClientInterceptor = {
      startWithDetails: (input, next) =>
        next({ ...input, headers: { ...input.headers, trace: 'abc' as never } }),
    };
    const client = new Client({
      connection: env.engine.connection,
      interceptors: { workflow: [bad] },
    });
    await assert.rejects(
      client.workflow.start(cart, {
        workflowId: 'client-interceptors-bad-header',
        taskQueue: env.taskQueue,
        args: ['cy'],
      }),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        /Header 'trace' of the start is not a Payload \(it is a string\)/.test(e.message) &&
        e.message.includes('defaultPayloadConverter.toPayload'),
    );
    await assert.rejects(
      env.client.workflow.getHandle('client-interceptors-bad-header').describe(),
      WorkflowNotFoundError,
    );
    const good: WorkflowClientInterceptor = {
      startWithDetails: (input, next) =>
        next({
          ...input,
          headers: { ...input.headers, trace: defaultPayloadConverter.toPayload('abc') },
        }),
    };
    const goodClient = new Client({
      connection: env.engine.connection,
      interceptors: { workflow: [good] },
    });
    const handle = await goodClient.workflow.start(cart, {
      workflowId: 'client-interceptors-bad-header',
      taskQueue: env.taskQueue,
      args: ['cy'],
    });
    await handle.terminate();
  });
});
