// Commands as a worker's answer carries them, for tests that play the worker by hand.
import assert from 'node:assert/strict';
import type { Command } from '../../src/protocol/commands.ts';
import type { RunWorkflowTask, WorkflowTask } from '../../src/transport/engine-api.ts';

type ScheduleActivity = Extract<Command, { type: 'ScheduleActivityTask' }>;

/** Schedules activity `work` (id and input from `seq`) on `taskQueue`, 60 s start-to-close. */
export function scheduleWork(
  taskQueue: string,
  seq = 1,
  options: Partial<Omit<ScheduleActivity, 'type'>> = {},
): ScheduleActivity {
  return {
    type: 'ScheduleActivityTask',
    seq,
    activityId: String(seq),
    activityType: 'work',
    taskQueue,
    args: [`input-${seq}`],
    startToCloseTimeoutMs: 60_000,
    ...options,
  };
}

/** The workflow task a poll returned, asserted to be one of a run (not a query, not nothing). */
export function asWorkflowTask(t: WorkflowTask | undefined): RunWorkflowTask {
  assert.ok(t?.kind === 'workflow', 'a workflow task');
  return t;
}
