// Sandbox-safe types: Temporal's workflow interceptors (`@temporalio/workflow` interceptors),
// exported by `reprise/workflow`. A module listed in the worker's
// `interceptors.workflowModules` exports `interceptors: WorkflowInterceptorsFactory`; it is
// bundled with the workflows and called once per run, inside the sandbox (workflow-interceptors.ts).
import type { MetricTags } from '../common/metrics.ts';
import type { Headers, Next } from '../protocol/interceptors.ts';
import type { ChildWorkflowOptionsWithDefaults } from './child-workflow.ts';
import type { ContinueAsNewOptions } from './continue-as-new.ts';
import type { ActivityOptions, LocalActivityOptions } from './index.ts';

export type { Headers, Next } from '../protocol/interceptors.ts';

/**
 * What a workflow interceptor module exports as `interceptors`: called once per run, before the
 * workflow function, in the sandbox. Temporal's `WorkflowInterceptorsFactory`.
 *
 * @example
 * ```ts
 * export const interceptors: WorkflowInterceptorsFactory = () => ({
 *   inbound: [{ execute: (input, next) => next(input) }],
 *   outbound: [{ scheduleActivity: (input, next) => next(input) }],
 * });
 * ```
 */
export type WorkflowInterceptorsFactory = () => WorkflowInterceptors;

/** The interceptors of one run; within each list the first is outermost. */
export interface WorkflowInterceptors {
  inbound?: WorkflowInboundCallsInterceptor[] | undefined;
  outbound?: WorkflowOutboundCallsInterceptor[] | undefined;
  /**
   * Temporal's internals interceptors are not supported: a factory that returns any fails the
   * workflow task with a message saying so. Their `activate` and `concludeActivation` see
   * Temporal's proto activation jobs and commands, which Reprise's activations and commands are
   * not; and the interceptors are made within a run's first activation (its initializeWorkflow
   * job evaluates the module), so `activate` could not see that one.
   */
  internals?: WorkflowInternalsInterceptor[] | undefined;
}

// ── inbound: calls into the workflow ─────────────────────────────────────────────────────────

/** Calls that reach the workflow: its function, signals, queries, updates. */
export interface WorkflowInboundCallsInterceptor {
  /** Wraps the workflow function; resolves with its result. */
  execute?: (
    input: WorkflowExecuteInput,
    next: Next<WorkflowInboundCallsInterceptor, 'execute'>,
  ) => Promise<unknown>;
  /** Wraps an update handler (accepted updates only); resolves with the update's result. */
  handleUpdate?: (
    input: UpdateInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>,
  ) => Promise<unknown>;
  /** Wraps an update validator: synchronous; throw to reject. Not called on replay. */
  validateUpdate?: (
    input: UpdateInput,
    next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>,
  ) => void;
  /** Wraps a signal handler, when the signal is delivered to it. */
  handleSignal?: (
    input: SignalInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>,
  ) => Promise<void>;
  /**
   * Wraps a query handler. Must settle without waiting on anything durable (a query reads
   * state): the answer is taken once the microtasks of the call have run.
   */
  handleQuery?: (
    input: QueryInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>,
  ) => Promise<unknown>;
}

/** Input of `execute`. */
export interface WorkflowExecuteInput {
  readonly args: unknown[];
  /**
   * What the starter's interceptors set: a client's `start` or `signalWithStart`, a parent's
   * `startChildWorkflowExecution`, or the `continueAsNew` of the run before (`{}` if none).
   */
  readonly headers: Headers;
}

/** Input of `handleUpdate` and `validateUpdate`. */
export interface UpdateInput {
  readonly updateId: string;
  readonly name: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

/** Input of `handleSignal`. */
export interface SignalInput {
  readonly signalName: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

/** Input of `handleQuery`. `queryId` is empty: queries carry no id here. */
export interface QueryInput {
  readonly queryId: string;
  readonly queryName: string;
  readonly args: unknown[];
  readonly headers: Headers;
}

// ── outbound: calls the workflow makes ───────────────────────────────────────────────────────

/** Calls the workflow makes: activities, timers, children, signals, continue-as-new, logging. */
export interface WorkflowOutboundCallsInterceptor {
  /** Wraps `sleep` (and the timer of `condition` with a timeout); resolves when it fires. */
  startTimer?: (
    input: TimerInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startTimer'>,
  ) => Promise<void>;
  /** Wraps scheduling an activity; resolves with its result. */
  scheduleActivity?: (
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ) => Promise<unknown>;
  /** Wraps a local activity call, its retries included; resolves with its result. */
  scheduleLocalActivity?: (
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ) => Promise<unknown>;
  /**
   * Wraps starting a child workflow: resolves with two promises, the child's run id once it
   * started and its result.
   */
  startChildWorkflowExecution?: (
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ) => Promise<[Promise<string>, Promise<unknown>]>;
  /** Wraps signalling a child or another workflow. */
  signalWorkflow?: (
    input: SignalWorkflowInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>,
  ) => Promise<void>;
  /** Wraps `continueAsNew` and `makeContinueAsNewFunc`'s functions; the promise never resolves. */
  continueAsNew?: (
    input: ContinueAsNewInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>,
  ) => Promise<never>;
  /** Adds attributes to each line of the workflow `log` (called only for lines kept, not on replay). */
  getLogAttributes?: (
    input: GetLogAttributesInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>,
  ) => Record<string, unknown>;
  /**
   * Called for each value workflow code's `metricMeter` records (not on replay, where none is),
   * with the tag `workflowType`: what it returns are the value's first tags, before those of the
   * meter's and metric's `withTags` and the value's own (which win). The worker adds
   * `namespace`, `taskQueue` and `workflowType` under them.
   */
  getMetricTags?: (
    input: GetMetricTagsInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'getMetricTags'>,
  ) => MetricTags;
}

/** Options of `sleep`. Temporal's `TimerOptions`. */
export interface TimerOptions {
  /**
   * One line that UIs show for the timer: recorded on its TimerStarted (through the data
   * converter), never matched on replay. At most 400 bytes as stored.
   */
  readonly summary?: string | undefined;
}

/** Input of `startTimer`. */
export interface TimerInput {
  readonly durationMs: number;
  /** `sleep`'s options; undefined for `condition`'s timeout and `setTimeout`. */
  readonly options?: TimerOptions | undefined;
  /**
   * The sequence number of the timer's StartTimer command (1, 2, … per run, counted apart from
   * other kinds), taken before the interceptors run: a timer its cancelled scope refuses uses
   * one up too. Stable across replays of the run.
   */
  readonly seq: number;
}

/** Input of `scheduleActivity`. */
export interface ActivityInput {
  readonly activityType: string;
  readonly args: unknown[];
  readonly options: ActivityOptions;
  readonly headers: Headers;
  /**
   * The seq of the ScheduleActivityTask command, as {@link TimerInput.seq}; counted with local
   * activities', as in Temporal.
   */
  readonly seq: number;
}

/** Input of `scheduleLocalActivity`: one call, its attempts included. */
export interface LocalActivityInput {
  readonly activityType: string;
  readonly args: unknown[];
  readonly options: LocalActivityOptions;
  readonly headers: Headers;
  /**
   * The seq of the call's first attempt, as {@link TimerInput.seq}; counted with activities',
   * as in Temporal (apart from them in a run recorded before that rule). An attempt after a
   * durable backoff takes a new seq, which the interceptors, called once per call, do not see.
   */
  readonly seq: number;
}

/** Input of `startChildWorkflowExecution`. */
export interface StartChildWorkflowExecutionInput {
  readonly workflowType: string;
  readonly options: ChildWorkflowOptionsWithDefaults;
  readonly headers: Headers;
  /** The seq of the StartChildWorkflowExecution command, as {@link TimerInput.seq}. */
  readonly seq: number;
}

/** Input of `signalWorkflow`. */
export interface SignalWorkflowInput {
  /** The seq of the SignalExternalWorkflowExecution command, as {@link TimerInput.seq}. */
  readonly seq: number;
  readonly signalName: string;
  readonly args: unknown[];
  readonly headers: Headers;
  readonly target:
    | {
        readonly type: 'external';
        readonly workflowExecution: { workflowId: string; runId?: string | undefined };
      }
    | { readonly type: 'child'; readonly childWorkflowId: string };
}

/** Input of `continueAsNew`. */
export interface ContinueAsNewInput {
  readonly args: unknown[];
  readonly headers: Headers;
  readonly options: ContinueAsNewInputOptions;
}

/** The options of `continueAsNew`, with the workflow type and task queue filled in. */
export type ContinueAsNewInputOptions = ContinueAsNewOptions & {
  readonly workflowType: string;
  readonly taskQueue: string;
};

/** Input of `getLogAttributes`: the run's namespace, task queue, workflow id, run id and type. */
export type GetLogAttributesInput = Record<string, unknown>;

/** Input of `getMetricTags`: the run's workflow type, as `{ workflowType }`. */
export type GetMetricTagsInput = MetricTags;

/** Temporal's internals interceptor: not supported (see {@link WorkflowInterceptors.internals}). */
export interface WorkflowInternalsInterceptor {
  activate?: (input: never, next: never) => void;
  concludeActivation?: (input: never, next: never) => unknown;
  dispose?: (input: never, next: never) => void;
}
