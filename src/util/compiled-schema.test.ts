import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as z from 'zod';
import { Command } from '../protocol/commands.ts';
import { compiled } from './compiled-schema.ts';

const Request = z.object({ taskToken: z.string().min(1), commands: z.array(Command) });
const good = {
  taskToken: 't',
  commands: [
    {
      type: 'ScheduleActivityTask',
      seq: 1,
      activityId: '1',
      activityType: 'a',
      taskQueue: 'q',
      args: [1],
    },
    {
      type: 'FailWorkflowExecution',
      failure: {
        message: 'outer',
        info: { type: 'application', errorType: 'E', nonRetryable: false },
        cause: { message: 'inner', info: { type: 'terminated' }, unknownKey: 1 },
      },
    },
  ],
};
const bad = {
  taskToken: '',
  commands: [
    {
      type: 'FailWorkflowExecution',
      failure: { message: 'x', info: { type: 'terminated' }, cause: { message: 2 } },
    },
  ],
};

test('a schema is used as it is at first, then compiled once, with the same results and issues', () => {
  const runtime = { good: Request.safeParse(good), bad: Request.safeParse(bad) };
  let schema: typeof Request = Request;
  for (let i = 0; i < 500; i++) {
    schema = compiled(Request);
    assert.equal(schema, Request, `use ${i + 1} is not compiled yet`);
  }
  const fast = compiled(Request);
  assert.notEqual(fast, Request);
  assert.equal(compiled(Request), fast, 'compiled once');
  assert.deepEqual(fast.safeParse(good), runtime.good);
  assert.deepEqual(fast.safeParse(bad).error?.issues, runtime.bad.error?.issues);
  assert.deepEqual(
    runtime.bad.error?.issues.map((i) => i.path.join('.')),
    ['taskToken', 'commands.0.failure.cause.message', 'commands.0.failure.cause.info'],
  );
});
