// Temporal's client interceptors (`@temporalio/client` interceptors.ts): `new Client({
// interceptors: { workflow: [...] } })` wraps each call a WorkflowClient or WorkflowHandle makes to
// the engine; the first interceptor listed is outermost. Headers an interceptor sets on start,
// signal, signalWithStart, query or update reach the workflow's inbound interceptors.
import type { Headers, Next } from '../protocol/interceptors.ts';
import type { UpdateOutcome } from '../protocol/update.ts';
import type { WorkflowDescription } from '../transport/engine-api.ts';
import type { UntypedWorkflow, WorkflowStartOptions } from './client.ts';
import type { CompiledScheduleOptions } from './schedule-types.ts';
import type { WorkflowUpdateOptions } from './workflow-update-handle.ts';

export type { Headers, Next } from '../protocol/interceptors.ts';

/** A workflow execution an interceptor's call goes to: its id, and the run if the handle has one. */
export interface WorkflowExecution {
  readonly workflowId: string;
  readonly runId?: string | undefined;
}

/** The start options of a call, with its arguments. Temporal's `CompiledWorkflowOptions`. */
export type CompiledWorkflowOptions = WorkflowStartOptions<UntypedWorkflow> & {
  readonly args: unknown[];
};

/** Input of {@link WorkflowClientInterceptor.start}. */
export interface WorkflowStartInput {
  /** The name of the workflow to start. */
  readonly workflowType: string;
  readonly headers: Headers;
  readonly options: CompiledWorkflowOptions;
}

/**
 * What {@link WorkflowClientInterceptor.startWithDetails} resolves with: the started run's id, and
 * whether its first workflow task went straight to a worker in the starting process (Temporal's
 * eager start). Reprise has no eager start: `eagerlyStarted` is always false.
 */
export interface WorkflowStartOutput {
  readonly runId: string;
  readonly eagerlyStarted: boolean;
}

/** Input of {@link WorkflowClientInterceptor.signalWithStart}. */
export interface WorkflowSignalWithStartInput {
  readonly workflowType: string;
  readonly signalName: string;
  readonly signalArgs: unknown[];
  readonly headers: Headers;
  readonly options: CompiledWorkflowOptions;
}

/** Input of {@link WorkflowClientInterceptor.signal}. */
export interface WorkflowSignalInput {
  readonly signalName: string;
  readonly args: unknown[];
  readonly workflowExecution: WorkflowExecution;
  readonly headers: Headers;
}

/** Input of {@link WorkflowClientInterceptor.query}. */
export interface WorkflowQueryInput {
  readonly queryType: string;
  readonly args: unknown[];
  readonly workflowExecution: WorkflowExecution;
  readonly headers: Headers;
}

/** Input of {@link WorkflowClientInterceptor.startUpdate} (`executeUpdate` and `startUpdate`). */
export interface WorkflowStartUpdateInput {
  readonly updateName: string;
  readonly args: unknown[];
  readonly workflowExecution: WorkflowExecution;
  readonly firstExecutionRunId?: string | undefined;
  readonly headers: Headers;
  readonly options: WorkflowUpdateOptions;
}

/**
 * What {@link WorkflowClientInterceptor.startUpdate} resolves with: the update's id, the run it
 * went to, and its outcome once it completed (`executeUpdate` waits for that).
 */
export interface WorkflowStartUpdateOutput {
  readonly updateId: string;
  readonly workflowRunId: string;
  readonly outcome?: UpdateOutcome | undefined;
}

/** Input of {@link WorkflowClientInterceptor.startUpdateWithStart}. */
export interface WorkflowStartUpdateWithStartInput {
  readonly workflowType: string;
  readonly workflowStartOptions: CompiledWorkflowOptions;
  readonly workflowStartHeaders: Headers;
  readonly updateName: string;
  readonly updateArgs: unknown[];
  readonly updateOptions: WorkflowUpdateOptions;
  readonly updateHeaders: Headers;
}

/**
 * What {@link WorkflowClientInterceptor.startUpdateWithStart} resolves with: the workflow's run,
 * the update's id, and its outcome once it completed.
 */
export interface WorkflowStartUpdateWithStartOutput {
  readonly workflowExecution: { readonly workflowId: string; readonly runId: string };
  readonly updateId: string;
  readonly updateOutcome?: UpdateOutcome | undefined;
}

/** Input of {@link WorkflowClientInterceptor.terminate}. */
export interface WorkflowTerminateInput {
  readonly workflowExecution: WorkflowExecution;
  readonly reason?: string | undefined;
  readonly firstExecutionRunId?: string | undefined;
}

/** Input of {@link WorkflowClientInterceptor.cancel}. */
export interface WorkflowCancelInput {
  readonly workflowExecution: WorkflowExecution;
  readonly firstExecutionRunId?: string | undefined;
}

/** Input of {@link WorkflowClientInterceptor.describe}. */
export interface WorkflowDescribeInput {
  readonly workflowExecution: WorkflowExecution;
}

/**
 * Implement any of these methods to wrap a call of `client.workflow` or of a workflow handle.
 * Each gets the call's input and `next`, the rest of the chain: call `next(input)` (with other
 * headers, say) to go on. Temporal's `WorkflowClientInterceptor`.
 *
 * @example
 * ```ts
 * const tenant: WorkflowClientInterceptor = {
 *   startWithDetails: (input, next) =>
 *     next({ ...input, headers: { ...input.headers, tenant: defaultPayloadConverter.toPayload('acme') } }),
 * };
 * const client = new Client({ connection, interceptors: { workflow: [tenant] } });
 * ```
 */
export interface WorkflowClientInterceptor {
  /**
   * Wraps `start` (and `execute`); resolves with the run id. An interceptor with this method and
   * no `startWithDetails` is called as if it were a `startWithDetails` that resolves with
   * `{ runId, eagerlyStarted }`; one with both is called only through `startWithDetails`.
   * @deprecated Implement {@link startWithDetails}, as in Temporal.
   */
  start?: (
    input: WorkflowStartInput,
    next: Next<WorkflowClientInterceptor, 'start'>,
  ) => Promise<string>;
  /** Wraps `start` (and `execute`); resolves with the run id and whether it started eagerly. */
  startWithDetails?: (
    input: WorkflowStartInput,
    next: Next<WorkflowClientInterceptor, 'startWithDetails'>,
  ) => Promise<WorkflowStartOutput>;
  /** Wraps `signalWithStart`; resolves with the id of the run that got the signal. */
  signalWithStart?: (
    input: WorkflowSignalWithStartInput,
    next: Next<WorkflowClientInterceptor, 'signalWithStart'>,
  ) => Promise<string>;
  /** Wraps a handle's `signal`. */
  signal?: (
    input: WorkflowSignalInput,
    next: Next<WorkflowClientInterceptor, 'signal'>,
  ) => Promise<void>;
  /** Wraps a handle's `query`; resolves with the answer. */
  query?: (
    input: WorkflowQueryInput,
    next: Next<WorkflowClientInterceptor, 'query'>,
  ) => Promise<unknown>;
  /** Wraps a handle's `startUpdate` and `executeUpdate`. */
  startUpdate?: (
    input: WorkflowStartUpdateInput,
    next: Next<WorkflowClientInterceptor, 'startUpdate'>,
  ) => Promise<WorkflowStartUpdateOutput>;
  /**
   * Wraps `executeUpdateWithStart` and `startUpdateWithStart`: `workflowStartHeaders` reach the
   * workflow's `execute`, `updateHeaders` its `validateUpdate` and `handleUpdate`.
   */
  startUpdateWithStart?: (
    input: WorkflowStartUpdateWithStartInput,
    next: Next<WorkflowClientInterceptor, 'startUpdateWithStart'>,
  ) => Promise<WorkflowStartUpdateWithStartOutput>;
  /** Wraps a handle's `terminate`. */
  terminate?: (
    input: WorkflowTerminateInput,
    next: Next<WorkflowClientInterceptor, 'terminate'>,
  ) => Promise<void>;
  /** Wraps a handle's `cancel`. */
  cancel?: (
    input: WorkflowCancelInput,
    next: Next<WorkflowClientInterceptor, 'cancel'>,
  ) => Promise<void>;
  /** Wraps a handle's `describe`. */
  describe?: (
    input: WorkflowDescribeInput,
    next: Next<WorkflowClientInterceptor, 'describe'>,
  ) => Promise<WorkflowDescription>;
}

/** Input of {@link ScheduleClientInterceptor.create}. */
export interface CreateScheduleInput {
  /** Headers every run the schedule starts gets, for the workflow's inbound interceptors. */
  readonly headers: Headers;
  readonly options: CompiledScheduleOptions;
}

/**
 * What {@link ScheduleClientInterceptor.create} resolves with. Temporal's has the schedule's
 * `conflictToken`; Reprise's schedules have none, so it is never set.
 */
export interface CreateScheduleOutput {
  readonly conflictToken?: Uint8Array | undefined;
}

/**
 * Implement `create` to wrap `client.schedule.create`: the headers it passes to `next` are kept
 * with the schedule's action, and each run the schedule starts gets them (on its
 * `WorkflowExecutionStarted`, for the workflow's inbound interceptors), as in Temporal.
 * `handle.update` keeps them. Temporal's `ScheduleClientInterceptor`.
 */
export interface ScheduleClientInterceptor {
  create?: (
    input: CreateScheduleInput,
    next: Next<ScheduleClientInterceptor, 'create'>,
  ) => Promise<CreateScheduleOutput>;
}

/** `new Client({ interceptors })`. Temporal's `ClientInterceptors` (its list forms). */
export interface ClientInterceptors {
  readonly workflow?: readonly WorkflowClientInterceptor[] | undefined;
  /** Wrap `client.schedule.create`; the first listed is outermost. */
  readonly schedule?: readonly ScheduleClientInterceptor[] | undefined;
}
