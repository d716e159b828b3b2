// Sandbox-safe: the per-run state of the workflow runtime. The one place that holds it
// (STYLE.md §1.2): a durable call is seq number → command → parked completion.
import { headersToWire } from '../protocol/headers.ts';
import type { Headers } from '../protocol/headers.ts';
import { IllegalStateError, InvalidArgumentError, ensureError } from '../errors.ts';
import {
  ActivityFailure,
  CancelledFailure,
  decodeFailure,
  encodeFailure,
  isCancellation,
  isTemporalFailure,
} from '../failures.ts';
import type { TemporalFailure } from '../failures.ts';
import type {
  Activation,
  ActivationCompletion,
  ActivationFailureCause,
  ActivationJob,
  OutcomesInHistory,
  QueryRequest,
  SandboxQueryResult,
  SandboxActivationResult,
  SandboxSinkCalls,
  InteractionDefinition,
  WithdrawnCommand,
  WorkflowMetadata,
  WorkflowLogEntry,
  WorkflowStartInfo,
} from '../protocol/activation.ts';
import {
  QUERY_NOT_REGISTERED,
  STACK_TRACE_QUERY,
  WORKFLOW_METADATA_QUERY,
} from '../protocol/activation.ts';
import type { Command } from '../protocol/commands.ts';
import { userMetadataOf } from '../protocol/user-metadata.ts';
import type { TimerOptions } from './interceptors.ts';
import type { Failure } from '../protocol/failure.ts';
import type { LocalActivityRequests } from '../protocol/local-activity.ts';
import { mergeMemo, mergeSearchAttributes } from '../protocol/search-attribute-checks.ts';
import type { SearchAttributesUpsert } from '../protocol/search-attribute-checks.ts';
import { typedSearchAttributesOf } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributes } from '../protocol/typed-search-attributes.ts';
import type { SearchAttributeTypes } from '../protocol/search-attribute-types.ts';
import {
  CancellationScope,
  RootCancellationScope,
  onCancelRequested,
  takeParked,
} from './cancellation-scope.ts';
import { isContinueAsNew } from './continue-as-new.ts';
import {
  CHILD_CANCEL_BEFORE_START_PATCH,
  CHILD_CANCEL_IN_TASK_PATCH,
  CrossRunCalls,
  DROPPED_SIGNAL_REJECTS_LATER_PATCH,
  EXTERNAL_CALL_CANCELLED_SCOPE_PATCH,
} from './cross-run-calls.ts';
import {
  LOCAL_ACTIVITY_CANCEL_SETTLES_PATCH,
  LOCAL_ACTIVITY_CANCEL_UNSENT_PATCH,
  LOCAL_ACTIVITY_SEQ_SHARED_PATCH,
  LOCAL_ACTIVITY_BACKOFF_NEW_ID_PATCH,
  LocalActivityCalls,
} from './local-activity.ts';
import { RunInterceptors } from './workflow-interceptors.ts';
import type { OutboundInput, OutboundOutput, SeqMethod } from './workflow-interceptors.ts';
import { UpdateHandlers } from './update-handlers.ts';
import { alea, uuid4From } from './determinism.ts';
import type { RandomSource } from './determinism.ts';
import { workflowInfoToData } from './workflow-info.ts';
import type { WorkflowInfo } from './workflow-info.ts';
import {
  CommandSeqs,
  argsAtCall,
  assertNever,
  captureStack,
  isPromiseLike,
  UNCAPTURED_STACK,
  rejectedBy,
  workflowTypeNames,
} from './runtime-helpers.ts';
import { LazyMap, LazySet } from '../util/lazy-collections.ts';
export { workflowTypeNames } from './runtime-helpers.ts';

export {
  ActivityCancellationType,
  HandlerUnfinishedPolicy,
  PATCH_MARKER_NAME,
} from './activator-types.ts';
export type {
  DefaultSignalHandler,
  DefaultUpdateHandler,
  ModuleInstantiator,
  QueryHandler,
  ResolvedActivityOptions,
  SignalHandler,
  UpdateHandler,
  UpdateValidator,
} from './activator-types.ts';
import { HandlerUnfinishedPolicy, PATCH_MARKER_NAME } from './activator-types.ts';
import type {
  DefaultSignalHandler,
  DefaultUpdateHandler,
  ModuleInstantiator,
  Parked,
  ParkedActivity,
  ParkedCondition,
  QueryHandler,
  ResolvedActivityOptions,
  SignalHandler,
  SignalJob,
  UpdateHandler,
  UpdateValidator,
} from './activator-types.ts';

type JobHandlers = {
  [T in ActivationJob['type']]: (job: Extract<ActivationJob, { type: T }>) => void;
};

/** Temporal's order of jobs inside one activation: patches, then signals, then the rest. */
function jobRank(job: ActivationJob): number {
  if (job.type === 'notifyHasPatch') return 0;
  if (job.type === 'signalWorkflow' || job.type === 'doUpdate') return 1;
  return 2;
}

/**
 * The internal patch under which `setTimeout` in workflow code starts its timer through the
 * outbound `startTimer` interceptors, in a cancellable scope of its own, as in Temporal. Histories
 * without it were recorded before: there it started the timer directly. Decided only in a run with
 * such an interceptor, at its first `setTimeout`.
 */
export const SET_TIMEOUT_INTERCEPTED_PATCH = 'reprise/set-timeout-intercepted';

/**
 * The internal patch under which `patched` and `deprecatePatch` throw while the workflows module
 * is evaluated, before the workflow function starts, as in Temporal. Histories without it were
 * recorded before: there such a call was taken, and recorded its patch's marker.
 */
export const PATCHES_BEFORE_START_THROW_PATCH = 'reprise/patches-before-start-throw';

/**
 * The internal patch under which `condition(fn)` checks `fn` at the call, as in Temporal, and
 * settles at once if it is true (or throws), before the activation's other microtasks. Histories
 * without it were recorded before: there `fn` was first checked once the activation's microtasks
 * had run, so a condition true at the call but false by then kept waiting. Decided where a run
 * first has a condition whose `fn` is true (or throws) at the call.
 */
export const CONDITION_AT_CALL_PATCH = 'reprise/condition-checked-at-call';

/**
 * The internal patch under which a timer cancelled in the activation that started it is dropped,
 * as in Temporal: neither its StartTimer nor a CancelTimer is sent, so history records neither
 * TimerStarted nor TimerCanceled. Histories without it were recorded before: there both were.
 * Decided where a run first cancels a timer it has not sent.
 */
export const TIMER_CANCEL_UNSENT_PATCH = 'reprise/timer-cancel-unsent-drops';

/**
 * The internal patch under which an activity cancelled in the activation that scheduled it is
 * dropped, as in Temporal: no ScheduleActivityTask (nor RequestCancelActivityTask) is sent, and its
 * promise rejects with an ActivityFailure caused by a CancelledFailure, whatever its
 * cancellationType (in the next activation: {@link CANCELLATIONS_SETTLE_LATER_PATCH}). Histories without it were recorded before: there the activity was scheduled
 * (and, unless ABANDON, its cancellation requested). Decided where a run first meets the case.
 */
export const ACTIVITY_CANCEL_UNSENT_PATCH = 'reprise/activity-cancel-unsent-drops';

/**
 * The internal patch under which a timer, an activity or a signal to another workflow, issued by
 * an activation of a workflow task that runs local activities and cancelled by a later activation
 * of the same task (after a local activity's result), is dropped as one cancelled where it was
 * issued: the engine has not seen its command yet, which Temporal's worker withdraws too. Histories
 * without it were recorded before: there the command was sent, and then cancelled. Decided where a
 * run first meets the case.
 */
export const CANCEL_IN_TASK_PATCH = 'reprise/cancel-in-task-drops';

/**
 * The internal patch under which a call that its scope's cancellation settles without an outcome
 * from the engine rejects in the next activation, as in Temporal, whose worker answers the
 * cancellation with a job: an activity dropped before it was sent, or a TRY_CANCEL or ABANDON one;
 * a TRY_CANCEL or ABANDON local activity; a child whose start was dropped, or a TRY_CANCEL or
 * ABANDON one. Histories without it were recorded before: there the call rejected at once, within
 * the cancelling activation. Decided where a run first rejects such a call.
 */
export const CANCELLATIONS_SETTLE_LATER_PATCH = 'reprise/cancellations-settle-next-activation';

/**
 * The internal patch under which a durable call (`startTimer`, `scheduleActivity`,
 * `scheduleLocalActivity`, `startChildWorkflowExecution`, `signalWorkflow`) takes its command's
 * seq before its outbound interceptors run, as Temporal does, with or without interceptors, and
 * gives it them in their input: so one that its cancelled scope rejects, or that an interceptor
 * never passes on, uses its seq up, whatever the worker's interceptors. Histories without it
 * were recorded before: there the seq was taken where the command was issued. Decided at a run's
 * first durable call.
 */
export const SEQ_BEFORE_INTERCEPTORS_PATCH = 'reprise/seq-before-interceptors';

/** The queries every workflow answers, as Temporal's do. */
const BUILT_IN_QUERIES: ReadonlyMap<
  string,
  { description: string; run: (activator: Activator) => unknown }
> = new Map([
  [
    STACK_TRACE_QUERY,
    {
      description: "Returns where each of the workflow's pending operations waits.",
      run: (a: Activator) => a.stackTrace(),
    },
  ],
  [
    WORKFLOW_METADATA_QUERY,
    {
      description: 'Returns metadata associated with this workflow.',
      run: (a: Activator) => a.workflowMetadata(),
    },
  ],
]);

/** The state of one workflow run inside the sandbox. */
export class Activator {
  readonly rootScope: RootCancellationScope;
  /** Signal names passed to `defineSignal` while the module was evaluated. */
  readonly declaredSignals = new LazySet<string>();
  nowMs = 0;
  isReplaying = false;
  #historyLength = 0;
  #currentBuildId: string | undefined;
  #historySizeBytes = 0;
  #continueAsNewSuggested = false;
  readonly #instantiate: ModuleInstantiator;
  #start: WorkflowStartInfo | undefined;
  /** `workflowInfo().typedSearchAttributes`, and the search attributes it was made from. */
  #typedSearchAttributes: { of: Record<string, unknown>; typed: TypedSearchAttributes } | undefined;
  /** When the run's first workflow task started: the time of the activation that started it. */
  #runStartTimeMs = 0;
  /** `workflowInfo().lastFailure`, decoded once. */
  #lastFailure: TemporalFailure | undefined;
  #commands: Command[] = [];
  /**
   * The commands (`type:seq`) that earlier activations of the workflow task being answered
   * issued, while it waits for local activities: the engine has not seen them yet.
   */
  readonly #earlierInTask = new LazySet<string>();
  /** Those this activation withdrew ({@link takeBackUnsent}), for its completion. */
  #withdrawn: WithdrawnCommand[] | undefined;
  /** What settles in the next activation ({@link inNextActivation}), in order. */
  #nextActivation: (() => void)[] | undefined;
  #closed = false;
  /** Whether the workflows module was evaluated and the workflow function called. */
  #workflowStarted = false;
  #failure: { cause: ActivationFailureCause; failure: Failure } | undefined;
  #logs: WorkflowLogEntry[] = [];
  /** Sink calls since the last activation or query concluded; none allocated until one. */
  #sinkCalls: SandboxSinkCalls | undefined;
  /** The entry of `#sinkCalls.infos` that is `workflowInfo()` now, or -1 once that changed. */
  #sinkInfo = -1;
  /** The run's seeded sequence: what `Math.random` and `uuid4` draw from, replay and all. */
  readonly #random: RandomSource;
  readonly #randomSeed: string;
  /** What a query handler or update validator draws from instead (see {@link random}). */
  #sideRandom: RandomSource | undefined;
  readonly #activitySeqs = new CommandSeqs();
  readonly #timerSeqs = new CommandSeqs();
  #seqCondition = 0;
  readonly #timers = new LazyMap<number, Parked>();
  /** The scopes of `setTimeout` timers that went through the interceptors, by their id. */
  readonly #timeoutScopes = new LazyMap<number, CancellationScope>();
  #timeoutIds = 0;
  readonly #activities = new LazyMap<number, ParkedActivity>();
  readonly #conditions = new LazyMap<number, ParkedCondition>();
  readonly #signalHandlers = new LazyMap<string, SignalHandler>();
  /** Signals whose handler was set with `unfinishedPolicy: ABANDON`: not warned of. */
  readonly #abandonedSignals = new LazySet<string>();
  #defaultSignalHandler: DefaultSignalHandler | undefined;
  #bufferedSignals: SignalJob[] = [];
  readonly #queryHandlers = new LazyMap<string, QueryHandler>();
  /** Handler descriptions by `kind:name`; none allocated until a handler has one. */
  #handlerDescriptions: Map<string, string> | undefined;
  /** Async signal handlers still running. */
  #inProgressSignals = 0;
  /** Of those, the ones to warn of if the run closes under them: signal name → how many. */
  readonly #warnableSignals = new LazyMap<string, number>();
  /** The run closed (completed, cancelled or continued as new): warn of handlers still running. */
  #warnOfUnfinished = false;
  readonly #seenPatches = new LazySet<string>();
  readonly #usedPatches = new LazyMap<string, boolean>();
  /** The internal rules taken live in this activation: its completion's `sdkFlags`. */
  #usedFlags: string[] | undefined;
  #cancelRequested = false;
  #inQuery = false;
  /** The current activation's {@link Activation.outcomesInHistory}, until it concludes. */
  #outcomesInHistory: OutcomesInHistory | undefined;

  readonly #handlers: JobHandlers = {
    initializeWorkflow: (job) => {
      this.#initialize(job);
    },
    fireTimer: (job) => {
      takeParked(this.#timers, job.seq)?.resolve(undefined); // none: cancelled meanwhile
    },
    resolveLocalActivity: (job) => {
      this.localActivities.resolve(job);
    },
    resolveActivity: (job) => {
      const parked = takeParked(this.#activities, job.seq);
      if (parked === undefined) return; // TRY_CANCEL or ABANDON already rejected it
      const r = job.resolution;
      if (r.status === 'completed') parked.resolve(r.result);
      else parked.reject(decodeFailure(r.failure));
    },
    signalWorkflow: (job) => {
      this.#deliverSignal(job);
    },
    cancelWorkflow: () => {
      this.#cancelRequested = true;
      this.rootScope.cancel();
    },
    notifyHasPatch: (job) => {
      this.#seenPatches.add(job.patchId);
    },
    resolveChildWorkflowExecutionStart: (job) => {
      this.crossRun.resolveChildStart(job);
    },
    resolveChildWorkflowExecution: (job) => {
      this.crossRun.resolveChild(job);
    },
    resolveSignalExternalWorkflow: (job) => {
      this.crossRun.resolveSignal(job);
    },
    resolveRequestCancelExternalWorkflow: (job) => {
      this.crossRun.resolveCancel(job);
    },
    doUpdate: (job) => {
      this.#updates.deliver(job);
    },
  };

  /** Child workflows and calls to other workflows. */
  readonly crossRun = new CrossRunCalls({
    pushCommand: (command) => {
      this.#pushCommand(command);
    },
    dropCommand: (command) => {
      const i = this.#commands.indexOf(command);
      if (i !== -1) this.#commands.splice(i, 1);
    },
    takeBackUnsent: (type, seq, patchId) => this.takeBackUnsent(type, seq, patchId),
    withdraw: (type, seq) => {
      this.#withdraw(type, seq);
    },
    rejectsDroppedLater: () => this.internalRule(DROPPED_SIGNAL_REJECTS_LATER_PATCH),
    inNextActivation: (settle) => {
      this.inNextActivation(settle);
    },
    rejectCancelled: (reject) => {
      this.#rejectCancelled(reject);
    },
    // Not once the run has closed: the rule as it was when it recorded a marker, which a closed
    // run could not record (histories of then replay as they ran).
    cancelsBeforeStart: () => !this.#closed && this.patch(CHILD_CANCEL_BEFORE_START_PATCH),
    withdrawsInTask: () => this.internalRule(CHILD_CANCEL_IN_TASK_PATCH),
    rejectsInCancelledScope: () => this.internalRule(EXTERNAL_CALL_CANCELLED_SCOPE_PATCH),
    assertMayIssue: (what) => {
      this.#assertMayIssue(what);
    },
    namespace: () => this.#startInfo().namespace,
    captureStack,
  });

  /** Local activities: run by the worker within the workflow task, recorded as markers. */
  readonly localActivities = new LocalActivityCalls({
    pushCommand: (command) => {
      this.#pushCommand(command);
    },
    assertMayIssue: (what) => {
      this.#assertMayIssue(what);
    },
    captureStack,
    sleep: (ms) => this.sleep(ms),
    now: () => this.nowMs,
    // Not once the run has closed: as when the rule recorded a marker, which a closed run could
    // not record (nor the local activity's).
    cancelSettles: () => !this.#closed && this.patch(LOCAL_ACTIVITY_CANCEL_SETTLES_PATCH),
    cancelUnsentSettles: () =>
      !this.#closed && this.internalRule(LOCAL_ACTIVITY_CANCEL_UNSENT_PATCH),
    sharedSeqs: () =>
      this.internalRule(LOCAL_ACTIVITY_SEQ_SHARED_PATCH) ? this.#activitySeqs : undefined,
    newIdAfterBackoff: () => this.internalRule(LOCAL_ACTIVITY_BACKOFF_NEW_ID_PATCH),
    inNextActivation: (settle) => {
      this.inNextActivation(settle);
    },
    rejectCancelled: (reject) => {
      this.#rejectCancelled(reject);
    },
  });
  readonly interceptors = new RunInterceptors(); // interceptors.workflowModules, per run
  readonly #updates = new UpdateHandlers({
    pushCommand: (command) => {
      this.#pushCommand(command);
    },
    handlerError: (e) => {
      this.#handleWorkflowError(e);
    },
    interceptors: this.interceptors,
  });

  constructor(options: { randomSeed: string; instantiate: ModuleInstantiator }) {
    this.#random = alea(options.randomSeed);
    this.#randomSeed = options.randomSeed;
    this.rootScope = new RootCancellationScope();
    this.#instantiate = options.instantiate;
  }

  /** Runs the jobs of one activation, synchronously; the host drains microtasks after. */
  activate(activation: Activation): void {
    this.nowMs = activation.timeMs;
    this.isReplaying = activation.isReplaying;
    this.#historyLength = activation.historyLength;
    this.#currentBuildId = activation.currentBuildId;
    this.#historySizeBytes = activation.historySizeBytes;
    this.#continueAsNewSuggested = activation.continueAsNewSuggested;
    this.#outcomesInHistory = activation.outcomesInHistory;
    // A local activity's outcome comes in an activation of its own, within the task that ran it.
    if (activation.jobs[0]?.type !== 'resolveLocalActivity') {
      this.crossRun.taskBegins();
      this.#earlierInTask.clear();
    }
    const jobs = activation.jobs
      .map((job, index) => ({ job, index }))
      .sort((a, b) => jobRank(a.job) - jobRank(b.job) || a.index - b.index);
    for (const { job } of jobs) {
      try {
        (this.#handlers[job.type] as (j: ActivationJob) => void)(job);
      } catch (e) {
        this.#failActivation('WorkflowError', e);
      }
    }
  }

  /**
   * Resolves every pending `condition` whose function is now true; returns how many. The host
   * calls this, draining microtasks between calls, until it returns 0 (Temporal's
   * tryUnblockConditions loop).
   */
  tryUnblockConditions(): number {
    const unblocked = this.#unblockConditions();
    if (unblocked > 0 || this.#nextActivation === undefined) return unblocked;
    // Nothing more to do in this activation: the next one settles what waited for it.
    const settles = this.#nextActivation;
    this.#nextActivation = undefined;
    for (const settle of settles) settle();
    return settles.length;
  }

  /**
   * Settles a call in the next activation, as Temporal's worker does with a job it makes itself
   * (a command dropped before it was sent): after this activation's microtasks and conditions ran,
   * and within the same workflow task. The host's {@link tryUnblockConditions} loop runs it.
   */
  inNextActivation(settle: () => void): void {
    (this.#nextActivation ??= []).push(settle);
  }

  /**
   * Rejects a call its scope's cancellation settled: in the next activation, as Temporal's worker
   * answers it with a job ({@link CANCELLATIONS_SETTLE_LATER_PATCH}); at once in a history
   * recorded before that rule.
   */
  #rejectCancelled(reject: () => void): void {
    if (this.internalRule(CANCELLATIONS_SETTLE_LATER_PATCH)) this.inNextActivation(reject);
    else reject();
  }

  #unblockConditions(): number {
    let unblocked = 0;
    for (const [seq, parked] of this.#conditions) {
      let done: boolean;
      try {
        done = parked.fn();
      } catch (e) {
        takeParked(this.#conditions, seq);
        parked.reject(e);
        unblocked++;
        continue;
      }
      if (done) {
        takeParked(this.#conditions, seq);
        parked.resolve(undefined);
        unblocked++;
      }
    }
    return unblocked;
  }

  /** Ends the activation: its commands in call order, or why it failed; and its log lines. */
  conclude(): SandboxActivationResult {
    this.#updates.rejectBuffered();
    // As Temporal: once the activation's work is done, and not when it failed.
    if (this.#warnOfUnfinished && this.#failure === undefined) {
      this.#warnOfUnfinished = false;
      this.#warnOfUnfinishedHandlers();
    }
    this.#outcomesInHistory = undefined;
    const logs = this.#logs;
    this.#logs = [];
    const commands = this.#commands;
    this.#commands = [];
    this.crossRun.concluded();
    // The task goes on while local activities run: its commands are not sent until it is answered.
    if (this.localActivities.waiting) {
      for (const c of commands) if ('seq' in c) this.#earlierInTask.add(`${c.type}:${c.seq}`);
    }
    const completion: ActivationCompletion =
      this.#failure === undefined
        ? {
            status: 'success',
            commands,
            localActivities: this.#takeLocalActivityRequests(),
            withdrawnCommands: this.#withdrawn,
            sdkFlags: this.#usedFlags,
          }
        : { status: 'failed', cause: this.#failure.cause, failure: this.#failure.failure };
    this.#usedFlags = undefined;
    this.#withdrawn = undefined;
    if (this.#sinkCalls === undefined) return { ...completion, logs };
    return { ...completion, logs, sinkCalls: this.takeSinkCalls() };
  }

  /**
   * Records a call of a sink function (`proxySinks`) for the worker to run once the activation
   * (or query) is done: its arguments copied as JSON now, and `workflowInfo()` now. Throws if the
   * arguments are not JSON (a BigInt, a cycle), as Temporal's copy of them throws at the call.
   * The discovery probe, which is no run, records nothing.
   */
  callSink(ifaceName: string, fnName: string, args: unknown[]): void {
    const start = this.#start;
    if (start === undefined) return;
    let encoded: string;
    try {
      // An object by index, not an array: an `undefined` argument stays undefined.
      encoded = JSON.stringify(Object.assign({}, args));
    } catch (e) {
      throw new InvalidArgumentError(
        `The arguments of sink function ${ifaceName}.${fnName} cannot be copied out of the ` +
          `workflow as JSON (${ensureError(e).message}): pass plain data (strings, numbers, ` +
          'booleans, arrays, plain objects).',
        { cause: e },
      );
    }
    const collected = (this.#sinkCalls ??= { infos: [], calls: [] });
    if (this.#sinkInfo === -1) {
      // A query handler sees the run as it is, not as the replay that rebuilt it.
      const isReplaying = this.isReplaying && !this.#inQuery;
      const info = workflowInfoToData(this.workflowInfo(), start.lastFailure, isReplaying);
      this.#sinkInfo = collected.infos.push(info) - 1;
    }
    collected.calls.push({
      ifaceName,
      fnName,
      args: encoded,
      argc: args.length,
      info: this.#sinkInfo,
    });
  }

  /** The log lines written since the last take (by a query handler), if any. */
  takeLogs(): WorkflowLogEntry[] | undefined {
    if (this.#logs.length === 0) return undefined;
    const logs = this.#logs;
    this.#logs = [];
    return logs;
  }

  /** The sink calls recorded since the last take, if any. */
  takeSinkCalls(): SandboxSinkCalls | undefined {
    const calls = this.#sinkCalls;
    this.#sinkCalls = undefined;
    this.#sinkInfo = -1;
    return calls;
  }

  /** A closed run starts no more local activities. */
  #takeLocalActivityRequests(): LocalActivityRequests | undefined {
    const requests = this.localActivities.takeRequests();
    return this.#closed ? undefined : requests;
  }

  /** Records that this activation failed; the first failure wins. */
  failActivation(cause: ActivationFailureCause, error: unknown): void {
    this.#failActivation(cause, error);
  }

  #failActivation(cause: ActivationFailureCause, error: unknown): void {
    this.#failure ??= { cause, failure: encodeFailure(error) };
  }

  #pushCommand(command: Command): void {
    this.#assertMayIssue(`a ${command.type} command`);
    if (this.#closed) return;
    this.#commands.push(command);
    if (
      command.type === 'CompleteWorkflowExecution' ||
      command.type === 'FailWorkflowExecution' ||
      command.type === 'CancelWorkflowExecution' ||
      command.type === 'ContinueAsNewWorkflowExecution'
    ) {
      this.#closed = true;
      // Temporal's: a workflow that fails is not warned of the handlers it leaves.
      this.#warnOfUnfinished = command.type !== 'FailWorkflowExecution';
    }
  }

  /**
   * Temporal's warnings for signal and update handlers still running when the run closed
   * (unless set with `unfinishedPolicy: ABANDON`); logged once, not on replay.
   */
  #warnOfUnfinishedHandlers(): void {
    const updates = this.#updates.unfinishedToWarnOf();
    if (updates.length > 0) {
      this.log(
        'warn',
        'The workflow closed while update handlers were still running: their callers get an ' +
          "error instead of the update's result. Wait for them with " +
          '`await condition(allHandlersFinished)` before the workflow returns or continues as ' +
          'new, or, if they may be cut short, set the handler with ' +
          '`{ unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON }`.',
        { unfinishedUpdates: updates },
      );
    }
    if (this.#warnableSignals.size > 0) {
      this.log(
        'warn',
        'The workflow closed while signal handlers were still running, which may have cut ' +
          'their work short. Wait for them with `await condition(allHandlersFinished)` before ' +
          'the workflow returns or continues as new, or, if they may be cut short, set the ' +
          'handler with `{ unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON }`.',
        {
          unfinishedSignals: [...this.#warnableSignals].map(([name, count]) => ({ name, count })),
        },
      );
    }
  }

  /** Query handlers and update validators only read state: they issue no durable call. */
  #assertMayIssue(what: string): void {
    if (this.#inQuery) {
      throw new IllegalStateError(
        `A query handler tried to issue ${what}: query handlers must only read workflow state.`,
      );
    }
    if (this.#updates.inValidator) {
      throw new IllegalStateError(
        `An update validator tried to issue ${what}: validators must only read workflow state.`,
      );
    }
  }

  // ── the workflow function ────────────────────────────────────────────────────────────────

  #initialize(job: Extract<ActivationJob, { type: 'initializeWorkflow' }>): void {
    this.#start = job.info;
    this.#runStartTimeMs = this.nowMs;
    if (job.info.lastFailure !== undefined) this.#lastFailure = decodeFailure(job.info.lastFailure);
    const exports = this.interceptors.install(this.#instantiate());
    const fn = exports[job.workflowType];
    if (typeof fn !== 'function') {
      const names = workflowTypeNames(exports);
      this.#failActivation(
        'WorkflowTypeNotFound',
        new TypeError(
          `Workflow type '${job.workflowType}' is not exported by the workflows module ` +
            `(exported: ${names.length ? names.map((n) => `'${n}'`).join(', ') : 'none'}). ` +
            `Export the workflow function from workflowsPath, or check the type name.`,
        ),
      );
      return;
    }
    const workflow = fn as (...args: unknown[]) => unknown;
    this.#workflowStarted = true;
    this.rootScope
      .run(() =>
        Promise.resolve().then(() => this.interceptors.execute(job.args, job.headers, workflow)),
      )
      .then(
        (result) => {
          this.#pushCommand({ type: 'CompleteWorkflowExecution', result });
        },
        (e: unknown) => {
          this.#handleWorkflowError(e);
        },
      );
  }

  /** Temporal's rules: cancellation → cancelled; a failure → failed; any other error → task failure. */
  #handleWorkflowError(e: unknown): void {
    if (isContinueAsNew(e)) {
      this.#pushCommand(e.command);
    } else if (this.#cancelRequested && isCancellation(e)) {
      this.#pushCommand({ type: 'CancelWorkflowExecution' });
    } else if (isTemporalFailure(e)) {
      this.#pushCommand({ type: 'FailWorkflowExecution', failure: encodeFailure(e) });
    } else {
      this.#failActivation('WorkflowError', e);
    }
  }

  // ── durable operations ───────────────────────────────────────────────────────────────────

  /**
   * Runs durable call `method` through its outbound interceptors with the seq of its command in
   * their input; `next` issues the command under `seq`, taken here before the interceptors run,
   * with or without them ({@link SEQ_BEFORE_INTERCEPTORS_PATCH}: a call its cancelled scope
   * refuses uses its number up, as in Temporal, so the numbering does not depend on the worker's
   * interceptors); in a run recorded before that rule, `seq` is undefined and `next` takes its
   * own, the number the input shows. `input` is the caller's own new object: the seq is set on
   * it, not on a copy (this runs for every durable call).
   */
  outboundWithSeq<M extends SeqMethod>(
    method: M,
    input: Omit<OutboundInput<M>, 'seq'>,
    next: (input: OutboundInput<M>, seq: number | undefined) => OutboundOutput<M>,
  ): OutboundOutput<M> {
    // Before the seq: a refused call must not use one up.
    if (this.#inQuery || this.#updates.inValidator) {
      this.#assertMayIssue(describeOutboundCall(method, input));
    }
    const reserve = this.internalRule(SEQ_BEFORE_INTERCEPTORS_PATCH);
    const seqs = this.#seqsOf(method);
    const seq = reserve ? seqs.take() : undefined;
    (input as unknown as { seq: number }).seq = seq ?? seqs.peek();
    return this.interceptors.withSeq(method, input as OutboundInput<M>, seq, next);
  }

  #seqsOf(method: SeqMethod): CommandSeqs {
    switch (method) {
      case 'startTimer':
        return this.#timerSeqs;
      case 'scheduleActivity':
        return this.#activitySeqs;
      case 'scheduleLocalActivity':
        return this.localActivities.seqs;
      case 'startChildWorkflowExecution':
        return this.crossRun.childSeqs;
      case 'signalWorkflow':
        return this.crossRun.signalSeqs;
      default:
        return assertNever(method);
    }
  }

  /** Starts a durable timer in the current scope; resolves when it fires. */
  sleep(ms: number, options?: TimerOptions): Promise<void> {
    return this.outboundWithSeq(
      'startTimer',
      { durationMs: ms, ...(options !== undefined && { options }) },
      (input, seq) => this.startTimer(input.durationMs, seq, input.options?.summary).promise,
    );
  }

  /**
   * Starts a durable timer and returns its seq (for `clearTimeout`) with its promise; with
   * `reservedSeq`, under that seq (taken before the interceptors ran); `summary` is `sleep`'s.
   */
  startTimer(
    ms: number,
    reservedSeq?: number,
    summary?: string,
  ): { seq: number; promise: Promise<void> } {
    this.#assertMayIssue('a timer'); // before the seq: a refused call must not use one up
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) return { seq: 0, promise: rejectedBy(scope) };
    const seq = reservedSeq ?? this.#timerSeqs.take();
    const durationMs = Math.max(1, Math.round(ms));
    const stack = this.#outcomesInHistory?.timerSeqs.includes(seq)
      ? UNCAPTURED_STACK
      : captureStack();
    const promise = new Promise<void>((resolve, reject) => {
      const command: Command = { type: 'StartTimer', seq, durationMs };
      const userMetadata = userMetadataOf(summary);
      if (userMetadata !== undefined) command.userMetadata = userMetadata;
      this.#pushCommand(command);
      // Bound, not a closure: a closure here would keep this call's whole scope while the timer
      // waits (~2 KB a call). The scope lets go of it once the timer settles (takeParked).
      const onCancel = this.#onTimerScopeCancelled.bind(this, seq);
      this.#timers.set(seq, {
        resolve: () => {
          resolve();
        },
        reject,
        stack,
        description: `timer ${seq} (${durationMs} ms)`,
        scope,
        onCancel,
      });
      onCancelRequested(scope, onCancel);
    });
    return { seq, promise };
  }

  /**
   * `setTimeout` in workflow code: a durable timer that calls `callback` when it fires; returns
   * the id for `clearTimeout`. With a `startTimer` interceptor, the timer goes through it, in a
   * cancellable scope of its own that `clearTimeout` cancels, as in Temporal
   * ({@link SET_TIMEOUT_INTERCEPTED_PATCH}); without one, it starts directly (the same commands).
   */
  setTimeout(callback: () => void, ms: number): number {
    if (
      !this.interceptors.interceptsOutbound('startTimer') ||
      !this.internalRule(SET_TIMEOUT_INTERCEPTED_PATCH)
    ) {
      const { seq, promise } = this.startTimer(ms);
      promise.then(callback, () => undefined);
      return seq;
    }
    // Ids of their own: an interceptor may start the timer later, or start others first.
    const id = ++this.#timeoutIds;
    const scope = new CancellationScope({ cancellable: true });
    this.#timeoutScopes.set(id, scope);
    scope
      .run(() => this.sleep(Math.max(1, ms)))
      .then(
        () => {
          this.#timeoutScopes.delete(id);
          callback();
        },
        () => {
          this.#timeoutScopes.delete(id);
        },
      );
    return id;
  }

  /** `clearTimeout` in workflow code; a no-op for a timer that already fired. */
  clearTimeout(id: number): void {
    const scope = this.#timeoutScopes.get(id);
    if (scope === undefined) {
      // An id of its own may be a timer's seq: never cancel another timer by it.
      if (this.#usedPatches.get(SET_TIMEOUT_INTERCEPTED_PATCH) !== true) this.cancelTimer(id);
      return;
    }
    this.#timeoutScopes.delete(id);
    scope.cancel();
  }

  #onTimerScopeCancelled(seq: number, reason: unknown): void {
    const parked = takeParked(this.#timers, seq);
    if (parked === undefined) return;
    this.#cancelTimerCommand(seq);
    parked.reject(ensureError(reason));
  }

  /** Cancels a timer started with `startTimer` (for `clearTimeout`); no-op if it already fired. */
  cancelTimer(seq: number): void {
    const parked = takeParked(this.#timers, seq);
    if (parked === undefined) return;
    this.#cancelTimerCommand(seq);
    parked.reject(new CancelledFailure('Timer cancelled'));
  }

  /** A CancelTimer, or nothing for a timer this activation started ({@link TIMER_CANCEL_UNSENT_PATCH}). */
  #cancelTimerCommand(seq: number): void {
    if (!this.takeBackUnsent('StartTimer', seq, TIMER_CANCEL_UNSENT_PATCH))
      this.#pushCommand({ type: 'CancelTimer', seq });
  }

  /**
   * Takes back command `type` of `seq` if the engine has not seen it, as Temporal drops a command
   * cancelled before it was sent: true if it did. Issued by this activation, under internal rule
   * `patchId`; by an earlier activation of the same workflow task (one that ran local
   * activities), under {@link CANCEL_IN_TASK_PATCH}, and the worker drops it from the task's
   * answer. Each rule is asked only then.
   */
  takeBackUnsent(type: Command['type'], seq: number, patchId: string): boolean {
    const i = this.#commands.findIndex((c) => c.type === type && 'seq' in c && c.seq === seq);
    if (i !== -1) {
      if (!this.internalRule(patchId)) return false;
      this.#commands.splice(i, 1);
      return true;
    }
    const key = `${type}:${seq}`;
    if (!this.#earlierInTask.has(key) || !this.internalRule(CANCEL_IN_TASK_PATCH)) return false;
    this.#earlierInTask.delete(key);
    this.#withdraw(type, seq);
    return true;
  }

  /** Drops a command of an earlier activation of this workflow task from the task's answer. */
  #withdraw(type: Command['type'], seq: number): void {
    (this.#withdrawn ??= []).push({ type, seq });
  }

  /**
   * Schedules an activity in the current scope; resolves with its result. With `reservedSeq`,
   * under that seq (taken before the interceptors ran).
   */
  scheduleActivity(
    activityType: string,
    args: unknown[],
    options: ResolvedActivityOptions,
    headers?: Headers,
    reservedSeq?: number,
  ): Promise<unknown> {
    this.#assertMayIssue(`activity '${activityType}'`); // see startTimer
    const header = headersToWire(headers, `activity '${activityType}'`);
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) return rejectedBy(scope);
    const seq = reservedSeq ?? this.#activitySeqs.take();
    const activityId = options.activityId ?? String(seq);
    const stack = this.#outcomesInHistory?.activities.some(
      (a) => a.seq === seq && a.activityId === activityId,
    )
      ? UNCAPTURED_STACK
      : captureStack();
    return new Promise<unknown>((resolve, reject) => {
      const command: Command = {
        type: 'ScheduleActivityTask',
        seq,
        activityId,
        activityType,
        taskQueue: options.taskQueue ?? this.#startInfo().taskQueue,
        args: argsAtCall(args),
      };
      if (header !== undefined) command.header = header;
      if (options.scheduleToCloseTimeoutMs !== undefined)
        command.scheduleToCloseTimeoutMs = options.scheduleToCloseTimeoutMs;
      if (options.scheduleToStartTimeoutMs !== undefined)
        command.scheduleToStartTimeoutMs = options.scheduleToStartTimeoutMs;
      if (options.startToCloseTimeoutMs !== undefined)
        command.startToCloseTimeoutMs = options.startToCloseTimeoutMs;
      if (options.heartbeatTimeoutMs !== undefined)
        command.heartbeatTimeoutMs = options.heartbeatTimeoutMs;
      if (options.retry !== undefined) command.retry = options.retry;
      if (!options.allowEagerDispatch) command.requestEagerExecution = false;
      const userMetadata = userMetadataOf(options.summary);
      if (userMetadata !== undefined) command.userMetadata = userMetadata;
      if (options.priority !== undefined) command.priority = options.priority;
      this.#pushCommand(command);
      const onCancel = this.#onActivityScopeCancelled.bind(this, seq); // see startTimer
      this.#activities.set(seq, {
        resolve,
        reject,
        stack,
        description: `activity '${activityType}' (seq ${seq}, activityId '${activityId}')`,
        scope,
        onCancel,
        cancellationType: options.cancellationType,
        activityType,
        activityId,
      });
      onCancelRequested(scope, onCancel);
    });
  }

  #onActivityScopeCancelled(seq: number): void {
    const parked = this.#activities.get(seq);
    if (parked === undefined) return;
    const cancelled = () =>
      new ActivityFailure(
        'Activity cancelled',
        parked.activityType,
        parked.activityId,
        'CancelRequested',
        0,
        new CancelledFailure('Activity cancelled'),
      );
    const reject = (): void => {
      takeParked(this.#activities, seq);
      this.#rejectCancelled(() => {
        parked.reject(cancelled());
      });
    };
    if (this.takeBackUnsent('ScheduleActivityTask', seq, ACTIVITY_CANCEL_UNSENT_PATCH)) {
      reject();
      return;
    }
    switch (parked.cancellationType) {
      case 'ABANDON':
        reject();
        return;
      case 'TRY_CANCEL':
        this.#pushCommand({ type: 'RequestCancelActivityTask', seq });
        reject();
        return;
      case 'WAIT_CANCELLATION_COMPLETED':
        // The resolveActivity job (cancelled, or a result that raced the request) settles it.
        this.#pushCommand({ type: 'RequestCancelActivityTask', seq });
        return;
      default:
        assertNever(parked.cancellationType);
    }
  }

  /**
   * Waits until `fn` returns true: checked at the call (see {@link CONDITION_AT_CALL_PATCH}),
   * then after each activation's jobs ran.
   */
  condition(fn: () => boolean): Promise<void> {
    this.#assertMayIssue('a condition'); // it would run the caller's continuation later
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) return rejectedBy(scope);
    const atCall = this.#conditionAtCall(fn);
    if (atCall !== undefined) return atCall;
    const seq = ++this.#seqCondition;
    const stack = captureStack();
    return new Promise<void>((resolve, reject) => {
      const onCancel = this.#onConditionScopeCancelled.bind(this, seq); // see startTimer
      this.#conditions.set(seq, {
        fn,
        resolve: () => {
          resolve();
        },
        reject,
        stack,
        description: `condition ${seq}`,
        scope,
        onCancel,
      });
      onCancelRequested(scope, onCancel);
    });
  }

  /**
   * The condition settled at its call, as in Temporal: resolved if `fn` is true, rejected if it
   * throws. Undefined (it waits) if `fn` is false, or the run keeps the rule it was recorded
   * under ({@link CONDITION_AT_CALL_PATCH}), which then does not call `fn` here.
   */
  #conditionAtCall(fn: () => boolean): Promise<void> | undefined {
    if (this.#usedPatches.get(CONDITION_AT_CALL_PATCH) === false) return undefined;
    let ready: boolean;
    try {
      ready = fn();
    } catch (e) {
      return this.internalRule(CONDITION_AT_CALL_PATCH)
        ? new Promise<void>((_, reject) => {
            // What fn threw, as when tryUnblockConditions checks it (and as in Temporal).
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            reject(e);
          })
        : undefined;
    }
    return ready && this.internalRule(CONDITION_AT_CALL_PATCH) ? Promise.resolve() : undefined;
  }

  #onConditionScopeCancelled(seq: number, reason: unknown): void {
    takeParked(this.#conditions, seq)?.reject(ensureError(reason));
  }

  // ── signals, queries, updates ────────────────────────────────────────────────────────────

  /**
   * The `description` a signal, query or update handler was set with (Temporal's handler
   * option), which the `__temporal_workflow_metadata` query lists.
   */
  handlerDescription(kind: 'signal' | 'query' | 'update', name: string): string | undefined {
    return this.#handlerDescriptions?.get(`${kind}:${name}`);
  }

  /** Keeps (or, with none or no handler, forgets) a handler's `description`. */
  describeHandler(
    kind: 'signal' | 'query' | 'update',
    name: string,
    description: string | undefined,
  ): void {
    if (description === undefined) this.#handlerDescriptions?.delete(`${kind}:${name}`);
    else (this.#handlerDescriptions ??= new Map()).set(`${kind}:${name}`, description);
  }

  setSignalHandler(
    name: string,
    handler: SignalHandler | undefined,
    unfinishedPolicy?: HandlerUnfinishedPolicy,
  ): void {
    if (handler === undefined) {
      this.#signalHandlers.delete(name);
      this.#abandonedSignals.delete(name);
      return;
    }
    this.#signalHandlers.set(name, handler);
    if (unfinishedPolicy === HandlerUnfinishedPolicy.ABANDON) this.#abandonedSignals.add(name);
    else this.#abandonedSignals.delete(name);
    this.#flushBufferedSignals();
  }

  setDefaultSignalHandler(handler: DefaultSignalHandler | undefined): void {
    this.#defaultSignalHandler = handler;
    if (handler !== undefined) this.#flushBufferedSignals();
  }

  setQueryHandler(name: string, handler: QueryHandler | undefined): void {
    if (handler === undefined) this.#queryHandlers.delete(name);
    else this.#queryHandlers.set(name, handler);
  }

  setDefaultUpdateHandler(handler: DefaultUpdateHandler | undefined): void {
    this.#updates.setDefault(handler);
  }

  setUpdateHandler(
    name: string,
    handler: UpdateHandler | undefined,
    validator: UpdateValidator | undefined,
    unfinishedPolicy?: HandlerUnfinishedPolicy,
  ): void {
    this.#updates.set(name, handler, validator, unfinishedPolicy);
  }

  /** True when no signal or update handler is still running. Temporal's `allHandlersFinished`. */
  allHandlersFinished(): boolean {
    return !this.#updates.anyInProgress && this.#inProgressSignals === 0;
  }

  #deliverSignal(signal: SignalJob): void {
    const handler = this.#handlerFor(signal.signalName);
    if (handler === undefined) {
      // Temporal: a signal with no handler yet is buffered, in order, until one is set.
      this.#bufferedSignals.push(signal);
      return;
    }
    this.#invokeSignal(handler, signal);
  }

  #handlerFor(signalName: string): SignalHandler | undefined {
    const handler = this.#signalHandlers.get(signalName);
    if (handler !== undefined) return handler;
    const fallback = this.#defaultSignalHandler;
    if (fallback === undefined) return undefined;
    return (...args: unknown[]) => fallback(signalName, ...args);
  }

  #flushBufferedSignals(): void {
    const waiting = this.#bufferedSignals;
    this.#bufferedSignals = [];
    for (const signal of waiting) {
      const handler = this.#handlerFor(signal.signalName);
      if (handler === undefined) this.#bufferedSignals.push(signal);
      else this.#invokeSignal(handler, signal);
    }
  }

  #invokeSignal(handler: SignalHandler, signal: SignalJob): void {
    try {
      const result = this.interceptors.handleSignal(signal, handler);
      if (isPromiseLike(result)) {
        this.#inProgressSignals++;
        // The policy of the handler it was given to; the default handler's is to warn.
        const name = signal.signalName;
        const warn = !this.#abandonedSignals.has(name);
        if (warn) this.#warnableSignals.set(name, (this.#warnableSignals.get(name) ?? 0) + 1);
        const settled = (): void => {
          this.#inProgressSignals--;
          if (!warn) return;
          const left = (this.#warnableSignals.get(name) ?? 1) - 1;
          if (left === 0) this.#warnableSignals.delete(name);
          else this.#warnableSignals.set(name, left);
        };
        result.then(settled, (e: unknown) => {
          settled();
          this.#handleWorkflowError(e);
        });
      }
    } catch (e) {
      this.#handleWorkflowError(e);
    }
  }

  /** Answers a query synchronously from the current state; never issues commands. */
  query(request: QueryRequest): SandboxQueryResult {
    const intercepted = this.interceptors.intercepts('handleQuery');
    // As in Temporal, `handleQuery` interceptors see every query: the built-in one, and one
    // without a handler, whose failure the end of their chain throws.
    const builtIn = BUILT_IN_QUERIES.get(request.queryType);
    let handler =
      builtIn === undefined ? this.#queryHandlers.get(request.queryType) : () => builtIn.run(this);
    if (handler === undefined) {
      const failure = this.#queryNotRegistered(request.queryType);
      if (!intercepted) return { status: 'failed', failure };
      handler = () => {
        throw decodeFailure(failure);
      };
    } else if (!intercepted && builtIn !== undefined) {
      return { status: 'success', result: builtIn.run(this) };
    }
    // The handler runs in query mode wherever it runs: an interceptor may call it a microtask
    // later (after an `await`), once this frame has left query mode.
    const inQueryMode: typeof handler = (...args) => {
      const was = this.#inQuery;
      this.#inQuery = true;
      try {
        return handler(...args);
      } finally {
        this.#inQuery = was;
      }
    };
    this.#inQuery = true;
    try {
      return this.interceptors.queryResult(this.interceptors.handleQuery(request, inQueryMode));
    } catch (e) {
      return { status: 'failed', failure: encodeFailure(e) };
    } finally {
      this.#inQuery = false;
    }
  }

  #queryNotRegistered(queryType: string): Failure {
    const known = [...BUILT_IN_QUERIES.keys(), ...this.#queryHandlers.keys()].sort();
    return {
      message:
        `Workflow did not register a handler for query '${queryType}'. ` +
        `Registered queries: [${known.join(', ')}]`,
      info: { type: 'application', errorType: QUERY_NOT_REGISTERED, nonRetryable: true },
    };
  }

  /** What the workflow last passed to `setCurrentDetails` ('' until then). */
  currentDetails = '';

  /**
   * The answer of `__temporal_workflow_metadata`: the workflow type, its query (built-in ones
   * first), signal and update handlers with their descriptions, and its current details.
   */
  workflowMetadata(): WorkflowMetadata {
    const defined = (
      kind: 'signal' | 'query' | 'update',
      names: Iterable<string>,
    ): InteractionDefinition[] =>
      [...names].sort().map((name) => {
        const description = this.handlerDescription(kind, name);
        return description === undefined ? { name } : { name, description };
      });
    return {
      definition: {
        type: this.#startInfo().workflowType,
        queryDefinitions: [
          ...[...BUILT_IN_QUERIES].map(([name, q]) => ({ name, description: q.description })),
          ...defined('query', this.#queryHandlers.keys()),
        ],
        signalDefinitions: defined('signal', this.#signalHandlers.keys()),
        updateDefinitions: defined('update', this.#updates.names()),
      },
      currentDetails: this.currentDetails,
    };
  }

  /** Where the workflow waits: the creation stack of each pending durable operation. */
  stackTrace(): string {
    const parts: string[] = [];
    for (const parked of [
      ...this.#timers.values(),
      ...this.#activities.values(),
      ...this.#conditions.values(),
      ...this.crossRun.pending(),
      ...this.localActivities.pending(),
    ]) {
      parts.push(`${parked.description}\n${parked.stack.toString()}`);
    }
    return parts.join('\n\n');
  }

  // ── patches, info, log, random ───────────────────────────────────────────────────────────

  /** Records the upsert (a command) and shows it in `workflowInfo()` at once, live or replaying. */
  upsertSearchAttributes(
    searchAttributes: SearchAttributesUpsert,
    keyTypes?: SearchAttributeTypes,
  ): void {
    this.#pushCommand({
      type: 'UpsertWorkflowSearchAttributes',
      searchAttributes,
      ...(keyTypes !== undefined && { searchAttributeTypes: keyTypes }),
    });
    const start = this.#startInfo();
    start.searchAttributes = mergeSearchAttributes(start.searchAttributes, searchAttributes);
    this.#sinkInfo = -1; // a later sink call sees the change
  }

  upsertMemo(memo: Record<string, unknown>): void {
    this.#pushCommand({ type: 'ModifyWorkflowProperties', upsertedMemo: memo });
    const start = this.#startInfo();
    start.memo = mergeMemo(start.memo, memo);
    this.#sinkInfo = -1;
  }

  /**
   * `patched` and `deprecatePatch`, Temporal's rule: live, a patch is taken and recorded with a
   * marker; replaying, it is taken iff history recorded its marker (a notifyHasPatch job). Once
   * taken, it stays taken for the run. Left out while replaying, it is asked again by the next
   * call: a run started before the patch takes the old branch while it replays, and the new one
   * from the first call it runs live, which records the marker there (so a replay of that history
   * agrees). A query handler or update validator gets the last answer.
   */
  patched(patchId: string, deprecated: boolean): boolean {
    if (!this.#workflowStarted && this.internalRule(PATCHES_BEFORE_START_THROW_PATCH)) {
      throw new IllegalStateError('Patches cannot be used before Workflow starts');
    }
    const used = this.#usedPatches.get(patchId);
    if (used === true) return true;
    if (used === false && (this.#inQuery || this.#updates.inValidator)) return false;
    return this.#decidePatch(patchId, deprecated);
  }

  /**
   * The engine's internal patches: as {@link patched}, but the first answer holds for the run, so
   * that a history recorded before one keeps its old rule to the end. Taken live, it is recorded
   * as a flag on the task's WorkflowTaskCompleted (Temporal's SDK flags), not as a marker;
   * replaying, it is taken iff history has it there, or as a marker (histories recorded before
   * flags), both given as notifyHasPatch jobs.
   */
  patch(patchId: string): boolean {
    return this.#usedPatches.get(patchId) ?? this.#decidePatch(patchId, false, true);
  }

  /**
   * An internal patch that a rule asks about ({@link patch}): the scopes', `setTimeout`'s,
   * `patched` before the workflow starts. Decided where a run first meets the case it changed.
   * Never decided in a query handler or an update validator, which record nothing (the old rule
   * there, until code that may record decides), nor once the run has closed.
   */
  internalRule(patchId: string): boolean {
    const used = this.#usedPatches.get(patchId);
    if (used !== undefined) return used;
    if (this.#closed || this.#inQuery || this.#updates.inValidator) return false;
    return this.#decidePatch(patchId, false, true);
  }

  #decidePatch(patchId: string, deprecated: boolean, internal = false): boolean {
    this.#assertMayIssue(`patch '${patchId}'`); // a call that decides may record it
    const taken = !this.isReplaying || this.#seenPatches.has(patchId);
    this.#usedPatches.set(patchId, taken);
    if (!taken) return false;
    if (internal) {
      if (!this.isReplaying) (this.#usedFlags ??= []).push(patchId);
    } else {
      this.#pushCommand({
        type: 'RecordMarker',
        markerName: PATCH_MARKER_NAME,
        details: { patchId, deprecated },
      });
    }
    return true;
  }

  workflowInfo(): WorkflowInfo {
    const start = this.#startInfo();
    const searchAttributes = start.searchAttributes;
    const typedSearchAttributes = (): TypedSearchAttributes =>
      this.#typedSearchAttributesOf(searchAttributes);
    return {
      workflowId: start.workflowId,
      runId: start.runId,
      workflowType: start.workflowType,
      taskQueue: start.taskQueue,
      namespace: start.namespace,
      attempt: start.attempt,
      firstExecutionRunId: start.firstExecutionRunId,
      historyLength: this.#historyLength,
      currentBuildId: this.#currentBuildId,
      historySize: this.#historySizeBytes,
      continueAsNewSuggested: this.#continueAsNewSuggested,
      startTime: new Date(start.startTimeMs),
      runStartTime: new Date(this.#runStartTimeMs),
      memo: start.memo,
      searchAttributes,
      // Made when read (most runs never do), from the same search attributes as the field above.
      get typedSearchAttributes() {
        return typedSearchAttributes();
      },
      executionTimeoutMs: start.workflowExecutionTimeoutMs,
      runTimeoutMs: start.workflowRunTimeoutMs,
      taskTimeoutMs: start.workflowTaskTimeoutMs,
      parent: start.parent,
      root: start.root,
      retryPolicy: start.retryPolicy,
      continuedFromExecutionRunId: start.continuedFromExecutionRunId,
      lastResult: start.lastResult,
      lastFailure: this.#lastFailure,
      cronSchedule: start.cronSchedule,
      cronScheduleToScheduleInterval: start.firstWorkflowTaskBackoffMs,
      priority: { ...start.priority },
      unsafe: {
        isReplaying: this.isReplaying,
        isReplayingHistoryEvents: this.replayingHistory,
        now: () => this.nowMs,
      },
    };
  }

  /** Made again only after an upsert replaced the search attributes, not per workflowInfo(). */
  #typedSearchAttributesOf(searchAttributes: Record<string, unknown>): TypedSearchAttributes {
    const cached = this.#typedSearchAttributes;
    if (cached?.of === searchAttributes) return cached.typed;
    const typed = typedSearchAttributesOf(searchAttributes);
    this.#typedSearchAttributes = { of: searchAttributes, typed };
    return typed;
  }

  #startInfo(): WorkflowStartInfo {
    if (this.#start === undefined) {
      throw new IllegalStateError(
        'workflowInfo() and durable calls are only available once the workflow function started, not while the module is evaluated.',
      );
    }
    return this.#start;
  }

  /**
   * True while history is replayed: false in a query handler or an update validator, each a
   * live call even in a run rebuilt for it (`workflowInfo().unsafe.isReplayingHistoryEvents`).
   * Log lines are dropped, and sink functions not called, while true.
   */
  get replayingHistory(): boolean {
    return this.isReplaying && !this.#inQuery && !this.#updates.inValidator;
  }

  log(level: WorkflowLogEntry['level'], message: string, attrs?: Record<string, unknown>): void {
    if (this.replayingHistory) return;
    const entry: WorkflowLogEntry = { level, message, timeMs: this.nowMs };
    if (attrs !== undefined) entry.attrs = attrs;
    this.#logs.push(entry);
  }

  /**
   * The next number of the run's seeded sequence. A query handler or update validator gets one
   * from a side sequence instead: a replay runs neither, so a draw there would shift every later
   * draw of the live run away from the replay's.
   */
  random(): number {
    if (!this.#inQuery && !this.#updates.inValidator) return this.#random();
    this.#sideRandom ??= alea(`${this.#randomSeed}/read-only`);
    return this.#sideRandom();
  }

  uuid4(): string {
    return uuid4From(() => this.random());
  }
}

/** What a refused durable call was, for its error (computed only then). */
function describeOutboundCall<M extends SeqMethod>(
  method: M,
  input: Omit<OutboundInput<M>, 'seq'>,
): string {
  const i = input as Partial<Record<'activityType' | 'workflowType' | 'signalName', string>>;
  switch (method) {
    case 'startTimer':
      return 'a timer';
    case 'scheduleActivity':
      return `activity '${String(i.activityType)}'`;
    case 'scheduleLocalActivity':
      return `local activity '${String(i.activityType)}'`;
    case 'startChildWorkflowExecution':
      return `child workflow '${String(i.workflowType)}'`;
    case 'signalWorkflow':
      return `signal '${String(i.signalName)}'`;
    default:
      return assertNever(method);
  }
}
