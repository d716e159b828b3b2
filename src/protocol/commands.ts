import { z } from 'zod';
import { Failure } from './failure.ts';
import { Payloads } from './payload.ts';
import { RetryPolicyInput } from './retry-policy.ts';

/**
 * What a workflow task answers with: the commands the workflow code issued, in order.
 * `seq` numbers each durable call per kind (activity, timer) from 1, as Temporal's SDK does.
 */
export const ScheduleActivityTask = z.object({
  type: z.literal('ScheduleActivityTask'),
  seq: z.number().int().positive(),
  activityId: z.string().min(1),
  activityType: z.string().min(1),
  taskQueue: z.string().min(1),
  args: Payloads,
  scheduleToCloseTimeoutMs: z.number().int().positive().optional(),
  scheduleToStartTimeoutMs: z.number().int().positive().optional(),
  startToCloseTimeoutMs: z.number().int().positive().optional(),
  heartbeatTimeoutMs: z.number().int().positive().optional(),
  retry: RetryPolicyInput.optional(),
});
export const RequestCancelActivityTask = z.object({
  type: z.literal('RequestCancelActivityTask'),
  seq: z.number().int().positive(),
});
export const StartTimer = z.object({
  type: z.literal('StartTimer'),
  seq: z.number().int().positive(),
  durationMs: z.number().int().nonnegative(),
});
export const CancelTimer = z.object({
  type: z.literal('CancelTimer'),
  seq: z.number().int().positive(),
});
export const RecordMarker = z.object({
  type: z.literal('RecordMarker'),
  markerName: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export const CompleteWorkflowExecution = z.object({
  type: z.literal('CompleteWorkflowExecution'),
  result: z.unknown().optional(),
});
export const FailWorkflowExecution = z.object({
  type: z.literal('FailWorkflowExecution'),
  failure: Failure,
});
export const CancelWorkflowExecution = z.object({
  type: z.literal('CancelWorkflowExecution'),
  details: Payloads.optional(),
});

export const Command = z.discriminatedUnion('type', [
  ScheduleActivityTask,
  RequestCancelActivityTask,
  StartTimer,
  CancelTimer,
  RecordMarker,
  CompleteWorkflowExecution,
  FailWorkflowExecution,
  CancelWorkflowExecution,
]);
export type Command = z.infer<typeof Command>;
export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

export function isCloseCommand(c: Command): boolean {
  return (
    c.type === 'CompleteWorkflowExecution' ||
    c.type === 'FailWorkflowExecution' ||
    c.type === 'CancelWorkflowExecution'
  );
}
