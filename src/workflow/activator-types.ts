// Sandbox-safe: the names the Activator and the public workflow API share (activity
// cancellation types, resolved activity options, handler shapes).
import type { WireHeaders } from '../protocol/headers.ts';
import type { Priority } from '../protocol/priority.ts';
import type { RetryPolicyInput } from '../protocol/retry-policy.ts';
import type { InScope } from './cancellation-scope.ts';
import type { CapturedStack } from './runtime-helpers.ts';

/**
 * The marker name of `patched()`; equal to `PATCH_MARKER` in protocol/history-events.ts, which
 * the sandbox cannot import (it loads zod). A test checks that the two agree.
 */
export const PATCH_MARKER_NAME = 'core_patch';

/** How an activity reacts to cancellation of its scope. Temporal's `ActivityCancellationType`. */
export const ActivityCancellationType = {
  /** Request cancellation and reject at once, without waiting for the activity to confirm. */
  TRY_CANCEL: 'TRY_CANCEL',
  /** Request cancellation and wait until the activity confirms it (the default). */
  WAIT_CANCELLATION_COMPLETED: 'WAIT_CANCELLATION_COMPLETED',
  /** Reject at once and do not request cancellation: the activity runs on. */
  ABANDON: 'ABANDON',
} as const;
export type ActivityCancellationType =
  (typeof ActivityCancellationType)[keyof typeof ActivityCancellationType];

/** Activity options resolved to the command's units (ms), as `proxyActivities` hands them over. */
export interface ResolvedActivityOptions {
  taskQueue: string | undefined;
  activityId: string | undefined;
  startToCloseTimeoutMs: number | undefined;
  scheduleToCloseTimeoutMs: number | undefined;
  scheduleToStartTimeoutMs: number | undefined;
  heartbeatTimeoutMs: number | undefined;
  retry: RetryPolicyInput | undefined;
  cancellationType: ActivityCancellationType;
  allowEagerDispatch: boolean;
  summary: string | undefined;
  /** Compiled: only the fields set; undefined when none. */
  priority: Priority | undefined;
}

/**
 * What happens to a signal or update handler still running when the workflow completes, is
 * cancelled or continues as new. Temporal's `HandlerUnfinishedPolicy`.
 */
export const HandlerUnfinishedPolicy = {
  /** Abandon it and log a warning (the default). No warning when the workflow fails. */
  WARN_AND_ABANDON: 'WARN_AND_ABANDON',
  /** Abandon it silently: an update's caller gets an error instead of its result. */
  ABANDON: 'ABANDON',
} as const;
export type HandlerUnfinishedPolicy =
  (typeof HandlerUnfinishedPolicy)[keyof typeof HandlerUnfinishedPolicy];

export type SignalHandler = (...args: unknown[]) => unknown;
export type DefaultSignalHandler = (signalName: string, ...args: unknown[]) => unknown;
export type QueryHandler = (...args: unknown[]) => unknown;
export type UpdateHandler = (...args: unknown[]) => unknown;
export type UpdateValidator = (...args: unknown[]) => void;
export type DefaultUpdateHandler = (updateName: string, ...args: unknown[]) => unknown;
/** Evaluates the workflows module once for this run: module state is per run. */
export type ModuleInstantiator = () => Record<string, unknown>;

/** A durable operation the Activator waits on: settled by a job, or by its scope's cancellation. */
export interface Parked extends InScope {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  /** Where the workflow code started the operation: for the `__stack_trace` query. */
  stack: CapturedStack;
  description: string;
}
export interface ParkedActivity extends Parked {
  cancellationType: ActivityCancellationType;
  activityType: string;
  activityId: string;
}
export interface ParkedCondition extends Parked {
  fn: () => boolean;
}
export interface SignalJob {
  signalName: string;
  args: unknown[];
  headers?: WireHeaders | undefined;
}
