import * as z from 'zod';
import { Failure } from './failure.ts';
import { Payloads, UserMetadataSchema, WireHeadersSchema } from './payload.ts';
import { PrioritySchema } from './priority-schema.ts';
import { RetryPolicyInput } from './retry-policy.ts';
import {
  MemoUpsert,
  SearchAttributeKeyTypes,
  SearchAttributesUpsert,
} from './search-attributes.ts';
import { UpdateOutcome } from './update.ts';
import { REUSE_POLICIES } from './workflow-id-policy.ts';

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
  /** What the `scheduleActivity` interceptors set (absent when none). */
  header: WireHeadersSchema.optional(),
  scheduleToCloseTimeoutMs: z.number().int().positive().optional(),
  scheduleToStartTimeoutMs: z.number().int().positive().optional(),
  startToCloseTimeoutMs: z.number().int().positive().optional(),
  heartbeatTimeoutMs: z.number().int().positive().optional(),
  retry: RetryPolicyInput.optional(),
  /**
   * True when the worker host has a free activity slot for it: the engine then starts the
   * activity in the workflow task's transaction and returns it. Workflow code sets false
   * (`allowEagerDispatch: false`) to forbid that; the host then leaves it false.
   */
  requestEagerExecution: z.boolean().optional(),
  /** Temporal's userMetadata (`summary`): shown by UIs, never matched on replay. */
  userMetadata: UserMetadataSchema.optional(),
  /** The activity's `priority`, the fields it sets; never matched on replay. */
  priority: PrioritySchema.optional(),
});
export const RequestCancelActivityTask = z.object({
  type: z.literal('RequestCancelActivityTask'),
  seq: z.number().int().positive(),
});
export const StartTimer = z.object({
  type: z.literal('StartTimer'),
  seq: z.number().int().positive(),
  durationMs: z.number().int().nonnegative(),
  /** Temporal's userMetadata (`summary`): shown by UIs, never matched on replay. */
  userMetadata: UserMetadataSchema.optional(),
});
export const CancelTimer = z.object({
  type: z.literal('CancelTimer'),
  seq: z.number().int().positive(),
});
export const RecordMarker = z.object({
  type: z.literal('RecordMarker'),
  markerName: z.string(),
  details: z.record(z.string(), z.unknown()),
  /** A local activity's `summary` (Temporal's userMetadata on its marker). */
  userMetadata: UserMetadataSchema.optional(),
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

export const ContinueAsNewWorkflowExecution = z.object({
  type: z.literal('ContinueAsNewWorkflowExecution'),
  workflowType: z.string().min(1),
  taskQueue: z.string().min(1),
  args: Payloads,
  header: WireHeadersSchema.optional(),
  workflowRunTimeoutMs: z.number().int().positive().optional(),
  workflowTaskTimeoutMs: z.number().int().positive().optional(),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: z.record(z.string(), z.unknown()).optional(),
  /** The types of the typed keys among them (registers a new name with its key's type). */
  searchAttributeTypes: SearchAttributeKeyTypes.optional(),
});
export const StartChildWorkflowExecution = z.object({
  type: z.literal('StartChildWorkflowExecution'),
  seq: z.number().int().positive(),
  workflowId: z.string().min(1).max(1000),
  workflowType: z.string().min(1),
  taskQueue: z.string().min(1),
  args: Payloads,
  header: WireHeadersSchema.optional(),
  parentClosePolicy: z.enum(['TERMINATE', 'REQUEST_CANCEL', 'ABANDON']),
  workflowExecutionTimeoutMs: z.number().int().positive().optional(),
  workflowRunTimeoutMs: z.number().int().positive().optional(),
  workflowTaskTimeoutMs: z.number().int().positive().optional(),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: z.record(z.string(), z.unknown()).optional(),
  /** The types of the typed keys among them (registers a new name with its key's type). */
  searchAttributeTypes: SearchAttributeKeyTypes.optional(),
  /** The child's workflow retry policy: a failed or timed-out child runs again. */
  retry: RetryPolicyInput.optional(),
  /** Temporal's cronSchedule: the child runs at each of the schedule's times. */
  cronSchedule: z.string().min(1).optional(),
  /** What the start does when the workflow id was used before (default ALLOW_DUPLICATE). */
  workflowIdReusePolicy: z.enum(REUSE_POLICIES).optional(),
  /** `staticSummary`, `staticDetails`: on the initiated event and the child's start. */
  userMetadata: UserMetadataSchema.optional(),
  /** The child's `priority`, the fields it sets (the parent's fill the others). */
  priority: PrioritySchema.optional(),
});
export const SignalExternalWorkflowExecution = z.object({
  type: z.literal('SignalExternalWorkflowExecution'),
  seq: z.number().int().positive(),
  workflowId: z.string().min(1),
  runId: z.string().optional(),
  signalName: z.string().min(1),
  args: Payloads,
  header: WireHeadersSchema.optional(),
  /** Only a child of this workflow may be signalled (a child handle's `signal`). */
  childWorkflowOnly: z.boolean(),
});
export const RequestCancelExternalWorkflowExecution = z.object({
  type: z.literal('RequestCancelExternalWorkflowExecution'),
  seq: z.number().int().positive(),
  workflowId: z.string().min(1),
  runId: z.string().optional(),
  /** Cancels a child of this workflow (its cancellation scope was cancelled). */
  childWorkflowOnly: z.boolean(),
});

/** The workflow accepts an update it was given: its validator passed (or did not run). */
export const AcceptWorkflowUpdate = z.object({
  type: z.literal('AcceptWorkflowUpdate'),
  updateId: z.string().min(1),
});
/** The workflow rejects an update (its validator threw, or no handler): nothing is recorded. */
export const RejectWorkflowUpdate = z.object({
  type: z.literal('RejectWorkflowUpdate'),
  updateId: z.string().min(1),
  failure: Failure,
});
/** An accepted update's handler finished. */
export const CompleteWorkflowUpdate = z.object({
  type: z.literal('CompleteWorkflowUpdate'),
  updateId: z.string().min(1),
  outcome: UpdateOutcome,
});

/** `upsertSearchAttributes`: a null or empty-array value removes the attribute. */
export const UpsertWorkflowSearchAttributes = z.object({
  type: z.literal('UpsertWorkflowSearchAttributes'),
  searchAttributes: SearchAttributesUpsert,
  /** The types of the typed keys among them (registers a new name with its key's type). */
  searchAttributeTypes: SearchAttributeKeyTypes.optional(),
});
/** `upsertMemo`: a null value removes the key. Temporal's ModifyWorkflowProperties command. */
export const ModifyWorkflowProperties = z.object({
  type: z.literal('ModifyWorkflowProperties'),
  upsertedMemo: MemoUpsert,
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
  AcceptWorkflowUpdate,
  RejectWorkflowUpdate,
  CompleteWorkflowUpdate,
  ContinueAsNewWorkflowExecution,
  StartChildWorkflowExecution,
  SignalExternalWorkflowExecution,
  RequestCancelExternalWorkflowExecution,
  UpsertWorkflowSearchAttributes,
  ModifyWorkflowProperties,
]);
export type Command = z.infer<typeof Command>;
export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;

export function isCloseCommand(c: Command): boolean {
  return (
    c.type === 'CompleteWorkflowExecution' ||
    c.type === 'FailWorkflowExecution' ||
    c.type === 'CancelWorkflowExecution' ||
    c.type === 'ContinueAsNewWorkflowExecution'
  );
}
