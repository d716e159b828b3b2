import * as z from 'zod';
import { TimeoutTypeSchema } from './failure.ts';

/** The two kinds of task queue a worker polls. */
export const TaskKind = { Workflow: 'workflow', Activity: 'activity' } as const;
export type TaskKind = (typeof TaskKind)[keyof typeof TaskKind];
export const TaskKindSchema = z.enum(TaskKind);

/**
 * What a durable timer does when it comes due. Every delay in the engine is one of these rows,
 * found by due time through an index: user timers, activity timeouts and retry backoffs,
 * workflow-task timeouts and retry backoffs.
 */
export const TimerPayload = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('userTimer'), timerId: z.string(), startedEventId: z.number().int() }),
  z.object({
    kind: z.literal('activityTimeout'),
    scheduledEventId: z.number().int(),
    attempt: z.number().int(),
    timeoutType: TimeoutTypeSchema,
  }),
  z.object({
    kind: z.literal('activityRetry'),
    scheduledEventId: z.number().int(),
    attempt: z.number().int(),
  }),
  z.object({
    kind: z.literal('workflowTaskTimeout'),
    scheduledEventId: z.number().int(),
    startedEventId: z.number().int(),
  }),
  z.object({ kind: z.literal('workflowTaskRetry'), attempt: z.number().int() }),
  // A workflow task queued for the worker that caches its run (a sticky queue) was not started
  // in time: it goes to the run's own queue (engine/sticky.ts).
  z.object({ kind: z.literal('workflowTaskStickyTimeout'), scheduledEventId: z.number().int() }),
  z.object({ kind: z.literal('workflowRunTimeout') }),
  // The one row of a run's timers kept in its state (engine/update-run.ts, RunTx.setTimer): due
  // at or before the earliest of them.
  z.object({ kind: z.literal('stateTimers') }),
  // Work on another run, due at once, done and deleted by the ops in engine/ops/ (Temporal's
  // transfer tasks): the row is written with the event that asks for it, so it survives a crash.
  z.object({
    kind: z.literal('startChild'),
    initiatedEventId: z.number().int(),
    childRunId: z.string(),
  }),
  z.object({ kind: z.literal('reportToParent'), closeEventId: z.number().int() }),
  z.object({
    kind: z.literal('parentClosePolicy'),
    initiatedEventId: z.number().int(),
    namespace: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    policy: z.enum(['TERMINATE', 'REQUEST_CANCEL']),
  }),
  z.object({
    kind: z.literal('signalExternal'),
    initiatedEventId: z.number().int(),
    requestId: z.string(),
  }),
  z.object({ kind: z.literal('cancelExternal'), initiatedEventId: z.number().int() }),
  // Schedules (engine/ops/schedules/): the schedule's own wake-up at its next action time, and a
  // run it started telling it that the run closed (written in the closing transaction).
  z.object({ kind: z.literal('scheduleDue'), namespace: z.string(), scheduleId: z.string() }),
  z.object({
    kind: z.literal('scheduleRunClosed'),
    namespace: z.string(),
    scheduleId: z.string(),
  }),
]);
export type TimerPayload = z.infer<typeof TimerPayload>;
export type TimerKind = TimerPayload['kind'];
