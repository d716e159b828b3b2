import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CommandOf } from '../protocol/commands.ts';
import { BadCommandError, normaliseActivityTimeouts, validateCommands } from './apply-commands.ts';

const schedule = (
  t: Partial<CommandOf<'ScheduleActivityTask'>>,
): CommandOf<'ScheduleActivityTask'> => ({
  type: 'ScheduleActivityTask',
  seq: 1,
  activityId: '1',
  activityType: 'charge',
  taskQueue: 'q',
  args: [],
  ...t,
});

describe('normaliseActivityTimeouts (Temporal rules)', () => {
  const cases: [string, Partial<CommandOf<'ScheduleActivityTask'>>, object][] = [
    [
      'startToClose alone stands, the others stay unset',
      { startToCloseTimeoutMs: 5000 },
      {
        startToCloseTimeoutMs: 5000,
        scheduleToCloseTimeoutMs: undefined,
        scheduleToStartTimeoutMs: undefined,
        heartbeatTimeoutMs: undefined,
      },
    ],
    [
      'startToClose defaults to scheduleToClose',
      { scheduleToCloseTimeoutMs: 9000 },
      {
        startToCloseTimeoutMs: 9000,
        scheduleToCloseTimeoutMs: 9000,
        scheduleToStartTimeoutMs: undefined,
        heartbeatTimeoutMs: undefined,
      },
    ],
    [
      'startToClose and scheduleToStart are capped by scheduleToClose',
      {
        scheduleToCloseTimeoutMs: 1000,
        startToCloseTimeoutMs: 5000,
        scheduleToStartTimeoutMs: 4000,
      },
      {
        startToCloseTimeoutMs: 1000,
        scheduleToCloseTimeoutMs: 1000,
        scheduleToStartTimeoutMs: 1000,
        heartbeatTimeoutMs: undefined,
      },
    ],
    [
      'heartbeat is capped by startToClose',
      { startToCloseTimeoutMs: 2000, heartbeatTimeoutMs: 3000 },
      {
        startToCloseTimeoutMs: 2000,
        scheduleToCloseTimeoutMs: undefined,
        scheduleToStartTimeoutMs: undefined,
        heartbeatTimeoutMs: 2000,
      },
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      assert.deepEqual(normaliseActivityTimeouts(schedule(input), undefined), expected);
    });
  }

  test('neither startToClose nor scheduleToClose is a bad command that says what to set', () => {
    assert.throws(
      () => normaliseActivityTimeouts(schedule({}), undefined),
      (e: unknown) => {
        assert.ok(e instanceof BadCommandError);
        assert.match(e.message, /startToCloseTimeout/);
        return true;
      },
    );
  });
});

describe('validateCommands', () => {
  test('two activities with one seq in a task are refused', () => {
    assert.throws(() => {
      validateCommands([
        schedule({ startToCloseTimeoutMs: 1 }),
        schedule({ startToCloseTimeoutMs: 1 }),
      ]);
    }, /Duplicate ScheduleActivityTask seq 1/);
  });
  test('a retry policy whose maximum is below its initial interval is refused', () => {
    assert.throws(() => {
      validateCommands([
        schedule({
          startToCloseTimeoutMs: 1,
          retry: { initialIntervalMs: 5000, maximumIntervalMs: 1000 },
        }),
      ]);
    }, /maximumInterval/);
  });
  test("a child's cron schedule that cannot be read is refused", () => {
    const child = (cronSchedule: string): CommandOf<'StartChildWorkflowExecution'> => ({
      type: 'StartChildWorkflowExecution',
      seq: 1,
      workflowId: 'child',
      workflowType: 'tick',
      taskQueue: 'q',
      args: [],
      parentClosePolicy: 'TERMINATE',
      cronSchedule,
    });
    assert.throws(() => {
      validateCommands([child('every hour')]);
    }, BadCommandError);
    validateCommands([child('CRON_TZ=Europe/Paris @every 1h')]);
  });
});
