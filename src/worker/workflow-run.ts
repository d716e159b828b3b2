// The history → activation driver of one run (Temporal core's "workflow machines", simplified):
// it turns history events into activation jobs, replays completed workflow tasks and checks the
// commands the code issues against the command events history recorded (DESIGN contract 5).
import { IllegalStateError, ensureError } from '../errors.ts';
import type {
  Activation,
  ActivationFailureCause,
  ActivationJob,
  OutcomesInHistory,
  QueryRequest,
  QueryResult,
  SandboxActivationResult,
  SandboxSinkCalls,
  WithdrawnCommand,
  WorkflowLogEntry,
  WorkflowStartInfo,
} from '../protocol/activation.ts';
import type { Command } from '../protocol/commands.ts';
import type { Priority } from '../protocol/priority.ts';
import type {
  LocalActivityMarkerDetails,
  LocalActivityRequests,
} from '../protocol/local-activity.ts';
import type { Failure, RetryState } from '../protocol/failure.ts';
import type { EventOf, HistoryEvent } from '../protocol/history-events.ts';
import { PATCH_MARKER } from '../protocol/history-events.ts';
import { isContinueAsNewSuggested } from '../protocol/history-limits.ts';
import { decompileRetryPolicy } from '../protocol/retry-options.ts';
import type { UpdateRequest } from '../protocol/update.ts';
import type { FailedSandboxActivation, VmSandbox } from './sandbox/vm-sandbox.ts';
import { CrossRunTracker } from './cross-run-events.ts';
import {
  localActivityMarkersAfter,
  replayLocalActivities,
  withdrawCommands,
} from './local-activities.ts';
import {
  describeCommand,
  describeEvent,
  findTaskOutcome,
  isCommandEvent,
  isCrossRunCommand,
  isCrossRunEvent,
  isTaskOutcome,
  nonDeterminismMessage,
  outcomesInHistoryAfter,
  patchesRecordedAfter,
  settledCommandEventIds,
  taskRecordedEvents,
  updatesAcceptedAfter,
} from './history-matching.ts';
import type { CommandEvent } from './history-matching.ts';
import { LazyMap } from '../util/lazy-collections.ts';

/** The answer to one workflow task. */
export type RunActivationResult =
  | {
      status: 'success';
      commands: Command[];
      logs: WorkflowLogEntry[];
      /** Live only: local activities to run before answering (see local-activities.ts). */
      localActivities?: LocalActivityRequests | undefined;
      /** Live only: commands of the task's earlier activations to drop (local-activities.ts). */
      withdrawnCommands?: WithdrawnCommand[] | undefined;
      /** Live only: the internal rules taken, for the task's WorkflowTaskCompleted (SDK flags). */
      sdkFlags?: string[] | undefined;
    }
  | {
      status: 'failed';
      cause: ActivationFailureCause;
      failure: Failure;
      logs: WorkflowLogEntry[];
      /** Always true: the run's state is unusable; evict it and replay from history next time. */
      evict: true;
      /** Live only: given up because the worker shuts down (local-activities.ts): handed back. */
      workerShutdown?: true | undefined;
    };

/**
 * The events given do not continue what this run has seen (a gap, or the previous answer was
 * not accepted). Evict the run and replay the full history.
 */
export class RunCacheMismatchError extends IllegalStateError {}

/** Options of {@link WorkflowRun}. */
export interface WorkflowRunOptions {
  readonly sandbox: VmSandbox;
  readonly runId: string;
  readonly namespace: string;
  /** The worker's buildId, for the tasks this run answers live (`currentBuildId`). */
  readonly buildId?: string | undefined;
}

interface ScheduledActivity {
  seq: number;
  activityType: string;
  activityId: string;
}

/** A timer or activity whose outcome (`outcomeEventId`) an activation gives the code. */
interface SettledOperation {
  /** The command that would have cancelled it. */
  readonly cancel: 'CancelTimer' | 'RequestCancelActivityTask';
  readonly seq: number;
  readonly outcomeEventId: number;
  /** An activity's, by which it is forgotten. */
  readonly scheduledEventId?: number;
}

let nextRunKey = 1;

/**
 * One run's workflow state in a {@link VmSandbox}, fed with its history events.
 *
 * Feed the full history on the first call and only new events on later calls (a sticky cache);
 * {@link lastEventId} tells which event comes next. Any failed activation poisons the run: the
 * caller evicts it ({@link dispose}) and replays the full history next time.
 */
export class WorkflowRun {
  readonly #sandbox: VmSandbox;
  readonly #runId: string;
  readonly #namespace: string;
  readonly #buildId: string | undefined;
  readonly #runKey: string;
  #created = false;
  #disposed = false;
  #poisoned: string | undefined;
  #lastEventId = 0;
  /**
   * The history's size in bytes, for histories written before the engine recorded it on
   * WorkflowTaskStarted: counted here until an event records it, then taken from there.
   */
  #historySizeBytes = 0;
  #historySizeRecorded = false;
  #jobs: ActivationJob[] = [];
  /** The event each signal job of `#jobs` came from: updates are placed among them by arrival. */
  #signalEventIds = new Map<ActivationJob, number>();
  /** The timers history started and has neither fired nor cancelled, by timer id. */
  readonly #timerSeqs = new LazyMap<string, number>();
  /**
   * The activities history scheduled, by scheduled event id, until no event to come can concern
   * them: forgotten when the activation after the one that gave the code their outcome starts
   * ({@link #forgetSettledOperations}). The engine records a cancellation request only for an
   * activity still pending, and each activity has one outcome event.
   */
  readonly #activities = new LazyMap<number, ScheduledActivity>();
  /**
   * How many timers, activities and calls to other runs the run keeps to match history's events
   * to them: those pending, and activities whose outcome the last activation gave (tests: a long
   * run keeps no more).
   */
  get trackedOperations(): number {
    return this.#timerSeqs.size + this.#activities.size + this.#crossRun.size;
  }

  /** Timers and activities whose outcome the next activation gives. */
  #settling: SettledOperation[] = [];
  /**
   * Those whose outcome the last activation gave: its activities are forgotten when the next
   * starts. Both lists tell a cancellation history need not record ({@link #skipMootCancellations}).
   */
  #settled: SettledOperation[] = [];
  /** The WorkflowTaskCompleted fed last: the commands in {@link #expected} are its task's. */
  #completedEventId = 0;
  readonly #crossRun: CrossRunTracker;
  /** Commands of the last activation that history has not matched yet. */
  #expected: Command[] = [];
  /** The last activation was live: the next event must be its task's outcome. */
  #awaitingLiveOutcome = false;
  #closed = false;
  #workflowTaskTimeoutMs = 10_000;
  #priority: Priority | undefined;
  /** The live activation of the task being answered: local-activity outcomes follow it. */
  #liveActivation: Activation | undefined;
  /** Sink calls of the activations and queries since the last take; none allocated until one. */
  #sinkCalls: SandboxSinkCalls[] | undefined;
  /** Log lines of the query handlers run since the last take; none allocated until one. */
  #queryLogs: WorkflowLogEntry[] | undefined;

  constructor(options: WorkflowRunOptions) {
    this.#sandbox = options.sandbox;
    this.#runId = options.runId;
    this.#namespace = options.namespace;
    this.#buildId = options.buildId;
    this.#runKey = `${options.runId}#${nextRunKey++}`;
    this.#crossRun = new CrossRunTracker(options.runId);
  }

  /** The id of the last event fed; the next call must start at `lastEventId + 1`. */
  get lastEventId(): number {
    return this.#lastEventId;
  }

  /** The run's workflow task timeout, from its WorkflowExecutionStarted. */
  get workflowTaskTimeoutMs(): number {
    return this.#workflowTaskTimeoutMs;
  }

  /** The run's priority, from its WorkflowExecutionStarted: what its local activities inherit. */
  get priority(): Priority | undefined {
    return this.#priority;
  }

  /** True once a close event (completed, failed, cancelled, terminated) was fed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Feeds the events not yet seen, ending with the `WorkflowTaskStarted` of the task to answer;
   * replays the completed tasks among them and answers the last one live.
   *
   * Returns the commands, or a failure ('NonDeterminism', 'WorkflowError',
   * 'WorkflowTypeNotFound') after which the run must be evicted. Throws
   * {@link RunCacheMismatchError} if the events do not continue this run's history.
   */
  activate(
    events: readonly HistoryEvent[],
    updates: readonly UpdateRequest[] = [],
  ): RunActivationResult {
    assertEndsWithTaskStarted(events);
    const feed = this.#beginFeed(events, true, updates);
    return feed.finish(this.#sandbox.runBatch(feed.step));
  }

  /**
   * {@link activate}, with the sandbox work deferred to the end of this turn of the event loop,
   * where it shares deadlock watchdogs with the other runs' tasks that arrived in the turn
   * (`VmSandbox.runBatchShared`). What the worker answers live workflow tasks with.
   */
  async activateShared(
    events: readonly HistoryEvent[],
    updates: readonly UpdateRequest[] = [],
  ): Promise<RunActivationResult> {
    assertEndsWithTaskStarted(events);
    const feed = this.#beginFeed(events, true, updates);
    return feed.finish(await this.#sandbox.runBatchShared(this.#runKey, feed.step));
  }

  /**
   * Feeds history without answering a task: completed tasks are replayed and checked, a final
   * task that is still outstanding is not activated. For queries and `reprise replay`.
   */
  replay(events: readonly HistoryEvent[]): RunActivationResult {
    const feed = this.#beginFeed(events, false);
    return feed.finish(this.#sandbox.runBatch(feed.step));
  }

  /**
   * {@link replay}, in a shared batch ({@link activateShared}): a replayed activation that leaves
   * a promise rejection unhandled fails it, as it fails a worker's task. For `Worker.runReplayHistory`.
   */
  async replayShared(events: readonly HistoryEvent[]): Promise<RunActivationResult> {
    const feed = this.#beginFeed(events, false);
    return feed.finish(await this.#sandbox.runBatchShared(this.#runKey, feed.step));
  }

  /**
   * Answers a query from the run's state; with `events`, feeds them first (as {@link replay}).
   * A replay failure is returned as a failed query.
   */
  query(request: QueryRequest, events?: readonly HistoryEvent[]): QueryResult {
    if (events !== undefined && events.length > 0) {
      const replayed = this.replay(events);
      if (replayed.status === 'failed') return { status: 'failed', failure: replayed.failure };
    }
    this.#assertUsable();
    if (!this.#created) {
      throw new IllegalStateError(
        'Cannot query a run before its WorkflowExecutionStarted event was fed.',
      );
    }
    const result = this.#sandbox.query(this.#runKey, request, (output) => {
      if (output.logs !== undefined) (this.#queryLogs ??= []).push(...output.logs);
      if (output.sinkCalls !== undefined) (this.#sinkCalls ??= []).push(output.sinkCalls);
    });
    if (!this.#sandbox.hasRun(this.#runKey)) {
      this.#poison(`query '${request.queryType}' was interrupted by the deadlock watchdog`);
    }
    return result;
  }

  /**
   * The log lines query handlers wrote since the last take, for the worker to write once the
   * query is answered (a workflow task's come with its result instead).
   */
  takeQueryLogs(): WorkflowLogEntry[] | undefined {
    const logs = this.#queryLogs;
    this.#queryLogs = undefined;
    return logs;
  }

  /**
   * The sink calls workflow code made (`proxySinks`) since the last take, in call order: in
   * every activation, replayed or live, and in query handlers. For the worker to run (sinks.ts).
   */
  takeSinkCalls(): SandboxSinkCalls[] | undefined {
    const calls = this.#sinkCalls;
    this.#sinkCalls = undefined;
    return calls;
  }

  /** One activation in the sandbox; keeps its sink calls for {@link takeSinkCalls}. */
  #activateSandbox(activation: Activation): SandboxActivationResult {
    const result = this.#sandbox.activate(this.#runKey, activation);
    if (result.sinkCalls !== undefined) (this.#sinkCalls ??= []).push(result.sinkCalls);
    return result;
  }

  /** False once the run failed or was disposed: drop it, and replay its history if needed. */
  get usable(): boolean {
    return !this.#disposed && this.#poisoned === undefined;
  }

  /** Drops the run's state from the sandbox. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#created) this.#sandbox.disposeRun(this.#runKey);
  }

  #assertUsable(): void {
    if (this.#disposed) throw new IllegalStateError(`Run ${this.#runId} was disposed.`);
    if (this.#poisoned !== undefined) {
      throw new RunCacheMismatchError(
        `Run ${this.#runId} failed an activation earlier (${this.#poisoned}): evict it and replay the full history.`,
      );
    }
  }

  /**
   * Checks that `events` continue this run, and returns the feed as a batch for the sandbox:
   * `step` feeds events up to the next task and replays or answers it, true while more follow
   * (the sandbox runs the steps under shared deadlock watchdogs); `finish` turns what the batch
   * ended with (a deadlock's failure, or undefined) into the answer.
   */
  #beginFeed(
    events: readonly HistoryEvent[],
    answer: boolean,
    updates: readonly UpdateRequest[] = [],
  ): {
    step: () => boolean;
    finish: (interrupted: FailedSandboxActivation | undefined) => RunActivationResult;
  } {
    this.#assertUsable();
    const first = events[0];
    const from = this.#lastEventId;
    if (first !== undefined && first.eventId !== from + 1) {
      throw new RunCacheMismatchError(
        `Run ${this.#runId} has seen events up to ${from} but was given events from ${first.eventId}: evict it and replay the full history.`,
      );
    }
    let next = 0;
    let answered: RunActivationResult | undefined;
    let settled: Set<number> | undefined;
    const settledInFeed = (): ReadonlySet<number> =>
      (settled ??= settledCommandEventIds(events, answer));
    const step = (): boolean => {
      // A shared batch runs later: the run may have been disposed, or fed, meanwhile.
      if (next === 0) {
        this.#assertUsable();
        if (this.#lastEventId !== from) {
          throw new RunCacheMismatchError(
            `Run ${this.#runId} was fed events up to ${this.#lastEventId} before a batch that continues from ${from}.`,
          );
        }
      }
      try {
        while (next < events.length) {
          const fed = this.#feedEvent(events, next++, answer, updates, settledInFeed);
          if (fed === 'replayed') return true;
          if (fed !== undefined) {
            answered = fed;
            return false;
          }
        }
      } catch (e) {
        // A feed that stops part-way leaves the run between two tasks, its state matching no
        // point of history (and its settled operations' call sites uncaptured): never reuse it.
        this.#poison(`feeding event ${this.#lastEventId} threw: ${ensureError(e).message}`);
        throw e;
      }
      return false;
    };
    const finish = (interrupted: FailedSandboxActivation | undefined): RunActivationResult => {
      if (interrupted !== undefined) {
        // A deadlock cut the feed short (nothing answered), or the answered activation left a
        // promise rejection unhandled: the task fails, with the answer's logs; a task that
        // failed already keeps its own failure.
        if (answered?.status === 'failed') return answered;
        this.#poison(interrupted.failure.message);
        return { ...interrupted, logs: answered?.logs ?? interrupted.logs, evict: true };
      }
      if (answered !== undefined) return answered;
      if (this.#closed) this.#skipMootCancellations();
      if (this.#closed && this.#expected.length > 0) {
        return this.#fail('NonDeterminism', this.#unmatchedCommandMessage(this.#lastEventId));
      }
      return { status: 'success', commands: [], logs: [] };
    };
    return { step, finish };
  }

  /**
   * Feeds `events[i]`: 'replayed' when it was a completed task's WorkflowTaskStarted and the
   * task replayed as history recorded; the answer to return when the feed ends here (a failure,
   * or the live task's commands); undefined otherwise. `settled`: the command events whose
   * outcome the feed delivers ({@link settledCommandEventIds}), computed once a task replays.
   */
  #feedEvent(
    events: readonly HistoryEvent[],
    i: number,
    answer: boolean,
    updates: readonly UpdateRequest[],
    settled: () => ReadonlySet<number>,
  ): RunActivationResult | 'replayed' | undefined {
    const e = events[i] as HistoryEvent;
    this.#lastEventId = e.eventId;
    if (e.type === 'WorkflowTaskStarted' && e.historySizeBytes !== undefined) {
      this.#historySizeBytes = e.historySizeBytes;
      this.#historySizeRecorded = true;
    } else if (!this.#historySizeRecorded) {
      this.#historySizeBytes += Buffer.byteLength(JSON.stringify(e));
    }
    // Events that arrived while the answered task was out (signals, activity results) may
    // stand between its WorkflowTaskStarted and its outcome: they are jobs for the next task.
    if (this.#awaitingLiveOutcome && isTaskOutcome(e)) {
      this.#awaitingLiveOutcome = false;
      if (e.type !== 'WorkflowTaskCompleted') {
        this.#poison(`task outcome ${e.type}`);
        throw new RunCacheMismatchError(
          `Run ${this.#runId}: the last answered workflow task ended with ${e.type} (event ${e.eventId}), so its commands were not recorded: evict the run and replay the full history.`,
        );
      }
    }
    if (isCommandEvent(e)) {
      const mismatch = this.#matchCommandEvent(e);
      return mismatch === undefined ? undefined : this.#fail('NonDeterminism', mismatch);
    }
    if (
      (e.type === 'WorkflowTaskScheduled' || e.type === 'WorkflowTaskStarted') &&
      this.#expected.length > 0
    ) {
      this.#skipMootCancellations();
      if (this.#expected.length > 0) {
        return this.#fail('NonDeterminism', this.#unmatchedCommandMessage(e.eventId));
      }
    }
    if (e.type !== 'WorkflowTaskStarted') {
      this.#onEvent(e);
      return undefined;
    }
    const outcome = findTaskOutcome(events, i);
    if (outcome?.type === 'WorkflowTaskCompleted') {
      // What the task recorded lies between its outcome and the next task's start.
      const recorded = taskRecordedEvents(events, i, outcome);
      const result = this.#activateTask(
        e,
        { isReplaying: true, buildId: outcome.buildId },
        patchesRecordedAfter(recorded, outcome),
        updatesAcceptedAfter(recorded, outcome),
        localActivityMarkersAfter(recorded, outcome),
        outcomesInHistoryAfter(recorded, outcome, settled()),
      );
      return result.status === 'failed' ? result : 'replayed';
    }
    if (outcome !== undefined) return undefined; // failed or timed out: its jobs carry over
    if (answer && i === events.length - 1) {
      const result = this.#activateTask(
        e,
        { isReplaying: false, buildId: this.#buildId },
        [],
        updates.map((u) => ({ ...u, runValidator: true })),
        [],
      );
      if (result.status === 'success') this.#awaitingLiveOutcome = true;
      return result;
    }
    return undefined; // still outstanding (replay of a running history)
  }

  /** Turns a non-command event into the jobs it implies. */
  #onEvent(e: Exclude<HistoryEvent, CommandEvent>): void {
    switch (e.type) {
      case 'WorkflowExecutionStarted':
        this.#sandbox.createRun(this.#runKey, e.workflowType, this.#runId);
        this.#created = true;
        this.#workflowTaskTimeoutMs = e.workflowTaskTimeoutMs;
        this.#priority = e.priority;
        this.#jobs.push({
          type: 'initializeWorkflow',
          workflowType: e.workflowType,
          args: e.input,
          info: this.#startInfo(e),
          ...(e.header !== undefined && { headers: e.header }),
        });
        return;
      case 'TimerFired':
        this.#jobs.push({ type: 'fireTimer', seq: this.#timerSeq(e.timerId, e.eventId) });
        return;
      case 'ActivityTaskCompleted':
        this.#jobs.push({
          type: 'resolveActivity',
          seq: this.#activity(e.scheduledEventId, e.eventId).seq,
          resolution: { status: 'completed', result: e.result },
        });
        return;
      case 'ActivityTaskFailed':
      case 'ActivityTaskTimedOut': {
        const message =
          e.type === 'ActivityTaskFailed' ? 'Activity task failed' : 'Activity task timed out';
        const activity = this.#activity(e.scheduledEventId, e.eventId);
        this.#jobs.push({
          type: 'resolveActivity',
          seq: activity.seq,
          resolution: {
            status: 'failed',
            failure: this.#activityFailure(
              activity,
              e.scheduledEventId,
              message,
              e.retryState,
              e.failure,
            ),
          },
        });
        return;
      }
      case 'ActivityTaskCanceled': {
        const activity = this.#activity(e.scheduledEventId, e.eventId);
        this.#jobs.push({
          type: 'resolveActivity',
          seq: activity.seq,
          resolution: {
            status: 'cancelled',
            failure: this.#activityFailure(
              activity,
              e.scheduledEventId,
              'Activity cancelled',
              'CancelRequested',
              { message: 'Activity cancelled', info: { type: 'cancelled', details: e.details } },
            ),
          },
        });
        return;
      }
      case 'StartChildWorkflowExecutionFailed':
      case 'ChildWorkflowExecutionStarted':
      case 'ChildWorkflowExecutionCompleted':
      case 'ChildWorkflowExecutionFailed':
      case 'ChildWorkflowExecutionCanceled':
      case 'ChildWorkflowExecutionTerminated':
      case 'ChildWorkflowExecutionTimedOut':
      case 'ExternalWorkflowExecutionSignaled':
      case 'SignalExternalWorkflowExecutionFailed':
      case 'ExternalWorkflowExecutionCancelRequested':
      case 'RequestCancelExternalWorkflowExecutionFailed':
        this.#jobs.push(this.#crossRun.jobFor(e));
        return;
      case 'WorkflowExecutionSignaled': {
        const job: ActivationJob = {
          type: 'signalWorkflow',
          signalName: e.signalName,
          args: e.input,
        };
        if (e.header !== undefined) job.headers = e.header;
        this.#jobs.push(job);
        this.#signalEventIds.set(job, e.eventId);
        return;
      }
      case 'WorkflowExecutionCancelRequested':
        this.#jobs.push({ type: 'cancelWorkflow', reason: e.reason });
        return;
      case 'WorkflowExecutionTerminated':
      case 'WorkflowExecutionTimedOut':
        this.#closed = true;
        return;
      case 'WorkflowTaskCompleted':
        this.#completedEventId = e.eventId;
        return;
      case 'WorkflowTaskScheduled':
      case 'WorkflowTaskStarted':
      case 'WorkflowTaskFailed':
      case 'WorkflowTaskTimedOut':
      case 'ActivityTaskStarted':
        return;
      default: {
        const never: never = e;
        throw new IllegalStateError(`Unhandled history event ${JSON.stringify(never)}`);
      }
    }
  }

  #startInfo(e: EventOf<'WorkflowExecutionStarted'>): WorkflowStartInfo {
    return {
      workflowId: e.workflowId,
      runId: this.#runId,
      workflowType: e.workflowType,
      taskQueue: e.taskQueue,
      namespace: this.#namespace,
      attempt: e.attempt,
      firstExecutionRunId: e.firstExecutionRunId,
      startTimeMs: e.timeMs,
      memo: e.memo ?? {},
      searchAttributes: e.searchAttributes ?? {},
      workflowExecutionTimeoutMs: e.workflowExecutionTimeoutMs,
      workflowRunTimeoutMs: e.workflowRunTimeoutMs,
      workflowTaskTimeoutMs: e.workflowTaskTimeoutMs,
      parent:
        e.parent === undefined
          ? undefined
          : {
              namespace: e.parent.namespace,
              workflowId: e.parent.workflowId,
              runId: e.parent.runId,
            },
      root: e.rootWorkflowExecution,
      retryPolicy: e.retryPolicy === undefined ? undefined : decompileRetryPolicy(e.retryPolicy),
      continuedFromExecutionRunId: e.continuedExecutionRunId,
      lastResult: e.lastCompletionResult,
      lastFailure: e.continuedFailure,
      cronSchedule: e.cronSchedule,
      firstWorkflowTaskBackoffMs: e.firstWorkflowTaskBackoffMs,
      priority: e.priority,
    };
  }

  #activateTask(
    started: EventOf<'WorkflowTaskStarted'>,
    /** The build that ran the task: its WorkflowTaskCompleted's on replay, this worker's live. */
    { isReplaying, buildId }: { isReplaying: boolean; buildId: string | undefined },
    patchIds: string[],
    updates: readonly (UpdateRequest & { runValidator: boolean })[],
    localActivityMarkers: readonly LocalActivityMarkerDetails[],
    outcomesInHistory?: OutcomesInHistory,
  ): RunActivationResult {
    if (!this.#created) {
      throw new IllegalStateError(
        `Run ${this.#runId}: WorkflowTaskStarted (event ${started.eventId}) before WorkflowExecutionStarted: feed the full history.`,
      );
    }
    const jobs: ActivationJob[] = [
      ...patchIds.map((patchId): ActivationJob => ({ type: 'notifyHasPatch', patchId })),
      ...inArrivalOrder(this.#jobs, this.#signalEventIds, updates),
    ];
    this.#jobs = [];
    this.#signalEventIds.clear();
    this.#forgetSettledOperations();
    const activation: Activation = {
      timeMs: started.timeMs,
      isReplaying,
      currentBuildId: buildId,
      historyLength: started.eventId,
      // The engine records both on WorkflowTaskStarted from its own limits (EngineLimits), so
      // replay sees what the live run saw; older histories fall back on the default thresholds.
      historySizeBytes: started.historySizeBytes ?? this.#historySizeBytes,
      continueAsNewSuggested:
        started.suggestContinueAsNew ??
        isContinueAsNewSuggested(started.eventId, this.#historySizeBytes),
      jobs,
    };
    if (outcomesInHistory !== undefined) activation.outcomesInHistory = outcomesInHistory;
    let result = this.#activateSandbox(activation);
    if (result.status === 'success' && isReplaying) {
      // The task's local activities resolve from its markers, never by running them again.
      const replayed = replayLocalActivities(result, localActivityMarkers, (job) =>
        this.#activateSandbox({ ...activation, jobs: [job] }),
      );
      if (replayed.status === 'nonDeterminism') {
        return this.#fail('NonDeterminism', replayed.message);
      }
      result = replayed.result;
    }
    this.#liveActivation = isReplaying ? undefined : activation;
    if (result.status === 'failed') {
      this.#poison(result.failure.message);
      return {
        status: 'failed',
        cause: result.cause,
        failure: result.failure,
        logs: result.logs,
        evict: true,
      };
    }
    // A rejected update leaves no event in history, so there is nothing to match it against.
    this.#expected = result.commands.filter((c) => c.type !== 'RejectWorkflowUpdate');
    return {
      status: 'success',
      commands: result.commands,
      logs: result.logs,
      localActivities: result.localActivities,
      sdkFlags: result.sdkFlags,
    };
  }

  /**
   * Delivers a local activity's outcome to the task being answered, in an activation of its own
   * (workflow time does not move); returns the commands it adds (its marker first) and any
   * local activities it requests. Live only: replay rebuilds the same from markers. Runs in a
   * shared batch, as the task's other activations do, so that a promise rejection the code
   * leaves unhandled fails the task here as it does when the task is replayed (ADR 0021).
   */
  async resolveLocalActivity(marker: LocalActivityMarkerDetails): Promise<RunActivationResult> {
    this.#assertUsable();
    const live = this.#liveActivation;
    if (live === undefined || !this.#awaitingLiveOutcome) {
      throw new IllegalStateError(
        `Run ${this.#runId}: a local activity outcome (seq ${marker.seq}) arrived with no workflow task being answered.`,
      );
    }
    let result: SandboxActivationResult | undefined;
    const interrupted = await this.#sandbox.runBatchShared(this.#runKey, () => {
      // A shared batch runs later: the run may have been disposed meanwhile.
      this.#assertUsable();
      result = this.#activateSandbox({
        ...live,
        jobs: [{ type: 'resolveLocalActivity', seq: marker.seq, marker }],
      });
      return false;
    });
    // Set by the step, unless a deadlock interrupted it.
    const done = result;
    // A failed activation keeps its own failure; a deadlock or an unhandled rejection fails it.
    const failed = done?.status === 'failed' ? done : interrupted;
    if (failed !== undefined) {
      this.#poison(failed.failure.message);
      return { ...failed, logs: done?.logs ?? failed.logs, evict: true };
    }
    if (done?.status !== 'success') {
      throw new IllegalStateError(
        `Run ${this.#runId}: a local activity outcome was not delivered.`,
      );
    }
    withdrawCommands(this.#expected, done.withdrawnCommands);
    this.#expected.push(...done.commands.filter((c) => c.type !== 'RejectWorkflowUpdate'));
    return done;
  }

  /** Checks one command event against the next command the code issued; a message if they differ. */
  #matchCommandEvent(e: CommandEvent): string | undefined {
    this.#skipMootCancellations(e);
    const command = this.#expected[0];
    if (
      e.type === 'MarkerRecorded' &&
      e.markerName === PATCH_MARKER &&
      !(command?.type === 'RecordMarker' && command.details['patchId'] === e.details['patchId'])
    ) {
      return undefined; // a deprecated or removed patch: its marker needs no command
    }
    if (command === undefined || !this.#matches(command, e)) {
      return nonDeterminismMessage(
        e.eventId,
        `history has ${describeEvent(e)}`,
        command === undefined ? 'no further command' : describeCommand(command),
      );
    }
    this.#expected.shift();
    if (e.type === 'ActivityTaskScheduled' && command.type === 'ScheduleActivityTask') {
      this.#activities.set(e.eventId, {
        seq: command.seq,
        activityType: e.activityType,
        activityId: e.activityId,
      });
    } else if (e.type === 'TimerStarted' && command.type === 'StartTimer') {
      this.#timerSeqs.set(e.timerId, command.seq);
    } else if (e.type === 'TimerCanceled') {
      this.#timerSeqs.delete(e.timerId); // it will not fire
    } else if (
      e.type === 'WorkflowExecutionCompleted' ||
      e.type === 'WorkflowExecutionFailed' ||
      e.type === 'WorkflowExecutionCanceled' ||
      e.type === 'WorkflowExecutionContinuedAsNew'
    ) {
      this.#closed = true;
    } else if (isCrossRunEvent(e) && isCrossRunCommand(command)) {
      this.#crossRun.recordMatch(command, e);
    }
    return undefined;
  }

  #matches(command: Command, e: CommandEvent): boolean {
    switch (command.type) {
      case 'ScheduleActivityTask':
        return (
          e.type === 'ActivityTaskScheduled' &&
          e.activityType === command.activityType &&
          e.activityId === command.activityId
        );
      case 'StartTimer':
        return e.type === 'TimerStarted' && e.timerId === String(command.seq);
      case 'CancelTimer':
        return e.type === 'TimerCanceled' && e.timerId === String(command.seq);
      case 'RequestCancelActivityTask':
        return (
          e.type === 'ActivityTaskCancelRequested' &&
          this.#activities.get(e.scheduledEventId)?.seq === command.seq
        );
      case 'RecordMarker':
        return (
          e.type === 'MarkerRecorded' &&
          e.markerName === command.markerName &&
          e.details['patchId'] === command.details['patchId'] &&
          e.details['seq'] === command.details['seq'] &&
          e.details['activityType'] === command.details['activityType']
        );
      case 'AcceptWorkflowUpdate':
        return e.type === 'WorkflowExecutionUpdateAccepted' && e.updateId === command.updateId;
      case 'CompleteWorkflowUpdate':
        return e.type === 'WorkflowExecutionUpdateCompleted' && e.updateId === command.updateId;
      case 'RejectWorkflowUpdate':
        return false;
      // Temporal matches these by type only: the values may differ between code versions.
      case 'UpsertWorkflowSearchAttributes':
        return e.type === 'UpsertWorkflowSearchAttributes';
      case 'ModifyWorkflowProperties':
        return e.type === 'WorkflowPropertiesModified';
      case 'ContinueAsNewWorkflowExecution':
      case 'StartChildWorkflowExecution':
      case 'SignalExternalWorkflowExecution':
      case 'RequestCancelExternalWorkflowExecution':
        return isCrossRunEvent(e) && CrossRunTracker.matches(command, e);
      case 'CompleteWorkflowExecution':
        return e.type === 'WorkflowExecutionCompleted';
      case 'FailWorkflowExecution':
        return e.type === 'WorkflowExecutionFailed';
      case 'CancelWorkflowExecution':
        return e.type === 'WorkflowExecutionCanceled';
      default: {
        const never: never = command;
        throw new IllegalStateError(`Unknown command ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Drops the expected commands, from the first, that cancel a timer or an activity whose outcome
   * history recorded before their task completed (and that do not match `e`, the event being
   * matched). The engine records nothing for those: the timer had fired, or the activity
   * finished, while the task was out or in the activation that cancelled it (a signal handler
   * runs before the timer's firing). The code may have seen the cancellation, but the outcome is
   * in history, and a later activation delivers it: cached and on replay alike.
   */
  #skipMootCancellations(e?: CommandEvent): void {
    for (;;) {
      const command = this.#expected[0];
      if (command === undefined || (e !== undefined && this.#matches(command, e))) return;
      if (command.type !== 'CancelTimer' && command.type !== 'RequestCancelActivityTask') return;
      const moot = (s: SettledOperation): boolean =>
        s.cancel === command.type &&
        s.seq === command.seq &&
        s.outcomeEventId < this.#completedEventId;
      if (!this.#settling.some(moot) && !this.#settled.some(moot)) return;
      this.#expected.shift();
    }
  }

  #unmatchedCommandMessage(eventId: number): string {
    const command = this.#expected[0] as Command;
    return nonDeterminismMessage(eventId, 'history has no event for it', describeCommand(command));
  }

  /** The seq of the timer event `eventId` fires; a timer fires once, so it is forgotten. */
  #timerSeq(timerId: string, eventId: number): number {
    const seq = this.#timerSeqs.get(timerId);
    if (seq === undefined) {
      throw new IllegalStateError(
        `Run ${this.#runId}: event ${eventId} fires timer '${timerId}', which history never started.`,
      );
    }
    this.#timerSeqs.delete(timerId);
    this.#settling.push({ cancel: 'CancelTimer', seq, outcomeEventId: eventId });
    return seq;
  }

  /** The activity event `eventId` (its outcome) resolves; forgotten an activation later. */
  #activity(scheduledEventId: number, eventId: number): ScheduledActivity {
    const activity = this.#activities.get(scheduledEventId);
    if (activity === undefined) {
      throw new IllegalStateError(
        `Run ${this.#runId}: event ${eventId} resolves the activity scheduled at event ${scheduledEventId}, which history does not hold.`,
      );
    }
    this.#settling.push({
      cancel: 'RequestCancelActivityTask',
      seq: activity.seq,
      outcomeEventId: eventId,
      scheduledEventId,
    });
    return activity;
  }

  /**
   * Before an activation: forgets the timers and activities whose outcome the last one gave.
   * Their workflow code has seen the outcome, so no later command concerns them, and the last
   * activation's commands have met history by now. A run that performs thousands of activities
   * keeps none of them.
   */
  #forgetSettledOperations(): void {
    for (const { scheduledEventId } of this.#settled) {
      if (scheduledEventId !== undefined) this.#activities.delete(scheduledEventId);
    }
    this.#settled = this.#settling;
    this.#settling = [];
  }

  /** The ActivityFailure a workflow sees, with the failure history recorded as its cause. */
  #activityFailure(
    activity: ScheduledActivity,
    scheduledEventId: number,
    message: string,
    retryState: RetryState,
    cause: Failure,
  ): Failure {
    if (cause.info.type === 'activity') return cause;
    return {
      message,
      info: {
        type: 'activity',
        activityType: activity.activityType,
        activityId: activity.activityId,
        scheduledEventId,
        retryState,
      },
      cause,
    };
  }

  #fail(cause: ActivationFailureCause, message: string): RunActivationResult {
    this.#poison(message);
    return {
      status: 'failed',
      cause,
      failure: {
        message,
        info: { type: 'application', errorType: 'NonDeterminismError', nonRetryable: false },
      },
      logs: [],
      evict: true,
    };
  }

  #poison(reason: string): void {
    this.#poisoned ??= reason;
  }
}

function assertEndsWithTaskStarted(events: readonly HistoryEvent[]): void {
  const last = events.at(-1);
  if (last?.type !== 'WorkflowTaskStarted') {
    throw new IllegalStateError(
      `WorkflowRun.activate needs events ending with the WorkflowTaskStarted to answer; got ${last?.type ?? 'no events'}.`,
    );
  }
}

/**
 * The events' jobs with the task's updates among them, as they arrived: an update goes before
 * the first signal that came after it (its `sequencingEventId`). Updates come in admission order,
 * as the engine sent them (live) or history accepted them (replay); one without a sequencing id
 * (recorded before there was one) goes after every job, as then, and so do the rest.
 */
function inArrivalOrder(
  jobs: readonly ActivationJob[],
  signalEventIds: ReadonlyMap<ActivationJob, number>,
  updates: readonly (UpdateRequest & { runValidator: boolean })[],
): readonly ActivationJob[] {
  if (updates.length === 0) return jobs; // most tasks: nothing to place
  const updateJob = (u: UpdateRequest & { runValidator: boolean }): ActivationJob => ({
    type: 'doUpdate',
    updateId: u.updateId,
    name: u.name,
    args: u.args,
    ...(u.header !== undefined && { headers: u.header }),
    runValidator: u.runValidator,
  });
  const out: ActivationJob[] = [];
  let next = 0;
  for (const job of jobs) {
    const signalEventId = signalEventIds.get(job);
    if (signalEventId !== undefined) {
      for (
        let u = updates[next];
        u?.sequencingEventId !== undefined && u.sequencingEventId < signalEventId;
        u = updates[++next]
      ) {
        out.push(updateJob(u));
      }
    }
    out.push(job);
  }
  for (const u of updates.slice(next)) out.push(updateJob(u));
  return out;
}
