// Builds run histories by hand for the workflow runtime tests: each method appends one event
// the way the engine would, with ids from 1 and a clock that moves only when told.
import type { Command } from '../../src/protocol/commands.ts';
import type { Failure } from '../../src/protocol/failure.ts';
import type { HistoryEvent, NewHistoryEvent } from '../../src/protocol/history-events.ts';
import { PATCH_MARKER } from '../../src/protocol/history-events.ts';
import { resolveRetryPolicy } from '../../src/protocol/retry-policy.ts';
import type { UpdateRequest } from '../../src/protocol/update.ts';

export const START_TIME_MS = 1_700_000_000_000;

export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  #timeMs: number;
  #lastScheduledTask = 0;
  #lastStartedTask = 0;
  #lastCompletedTask = 0;
  readonly #scheduledBySeq = new Map<number, number>();
  readonly #timerStartedBySeq = new Map<number, number>();
  readonly #acceptedByUpdateId = new Map<string, number>();

  constructor(startTimeMs = START_TIME_MS) {
    this.#timeMs = startTimeMs;
  }

  /** Moves the clock forward. */
  advance(ms: number): this {
    this.#timeMs += ms;
    return this;
  }

  get lastEventId(): number {
    return this.events.length;
  }

  /** Events after `eventId` (what a cached worker is sent). */
  after(eventId: number): HistoryEvent[] {
    return this.events.filter((e) => e.eventId > eventId);
  }

  add(event: NewHistoryEvent): HistoryEvent {
    const full: HistoryEvent = { ...event, eventId: this.events.length + 1, timeMs: this.#timeMs };
    this.events.push(full);
    return full;
  }

  started(workflowType: string, input: unknown[] = []): this {
    this.add({
      type: 'WorkflowExecutionStarted',
      workflowId: 'wf-1',
      workflowType,
      taskQueue: 'test-queue',
      input,
      attempt: 1,
      firstExecutionRunId: 'run-1',
      workflowTaskTimeoutMs: 10_000,
    });
    return this;
  }

  /** Appends WorkflowTaskScheduled + WorkflowTaskStarted: the task a worker answers. */
  startTask(): this {
    this.#lastScheduledTask = this.add({
      type: 'WorkflowTaskScheduled',
      taskQueue: 'test-queue',
      startToCloseTimeoutMs: 10_000,
      attempt: 1,
    }).eventId;
    this.#lastStartedTask = this.add({
      type: 'WorkflowTaskStarted',
      scheduledEventId: this.#lastScheduledTask,
      identity: 'test-worker',
    }).eventId;
    return this;
  }

  /**
   * Appends WorkflowTaskCompleted, with the task's `sdkFlags` (internal rules taken) if any, and
   * the events the engine records for `commands`.
   */
  completeTask(
    commands: readonly Command[],
    updates: readonly UpdateRequest[] = [],
    sdkFlags?: readonly string[],
  ): this {
    this.#lastCompletedTask = this.add({
      type: 'WorkflowTaskCompleted',
      scheduledEventId: this.#lastScheduledTask,
      startedEventId: this.#lastStartedTask,
      identity: 'test-worker',
      ...(sdkFlags !== undefined && sdkFlags.length > 0 && { sdkFlags: [...sdkFlags] }),
    }).eventId;
    for (const command of commands) this.#record(command, updates);
    return this;
  }

  /** Appends WorkflowTaskFailed for the started task. */
  failTask(): this {
    this.add({
      type: 'WorkflowTaskFailed',
      scheduledEventId: this.#lastScheduledTask,
      startedEventId: this.#lastStartedTask,
      cause: 'WorkflowError',
      failure: {
        message: 'failed',
        info: { type: 'application', errorType: 'Error', nonRetryable: false },
      },
      identity: 'test-worker',
    });
    return this;
  }

  #record(command: Command, updates: readonly UpdateRequest[]): void {
    const workflowTaskCompletedEventId = this.#lastCompletedTask;
    switch (command.type) {
      case 'ScheduleActivityTask': {
        const e = this.add({
          type: 'ActivityTaskScheduled',
          seq: command.seq,
          activityId: command.activityId,
          activityType: command.activityType,
          taskQueue: command.taskQueue,
          input: command.args,
          startToCloseTimeoutMs: command.startToCloseTimeoutMs ?? 60_000,
          retryPolicy: resolveRetryPolicy(command.retry),
          workflowTaskCompletedEventId,
        });
        this.#scheduledBySeq.set(command.seq, e.eventId);
        return;
      }
      case 'StartTimer': {
        const e = this.add({
          type: 'TimerStarted',
          timerId: String(command.seq),
          startToFireTimeoutMs: command.durationMs,
          workflowTaskCompletedEventId,
        });
        this.#timerStartedBySeq.set(command.seq, e.eventId);
        return;
      }
      case 'CancelTimer':
        this.add({
          type: 'TimerCanceled',
          timerId: String(command.seq),
          startedEventId: this.#timerStartedBySeq.get(command.seq) ?? 0,
          workflowTaskCompletedEventId,
        });
        return;
      case 'RequestCancelActivityTask':
        this.add({
          type: 'ActivityTaskCancelRequested',
          scheduledEventId: this.#scheduledBySeq.get(command.seq) ?? 0,
          workflowTaskCompletedEventId,
        });
        return;
      case 'RecordMarker':
        this.add({
          type: 'MarkerRecorded',
          markerName: command.markerName,
          details: command.details,
          workflowTaskCompletedEventId,
        });
        return;
      case 'CompleteWorkflowExecution':
        this.add({
          type: 'WorkflowExecutionCompleted',
          result: command.result,
          workflowTaskCompletedEventId,
        });
        return;
      case 'FailWorkflowExecution':
        this.add({
          type: 'WorkflowExecutionFailed',
          failure: command.failure,
          retryState: 'RetryPolicyNotSet',
          workflowTaskCompletedEventId,
        });
        return;
      case 'CancelWorkflowExecution':
        this.add({ type: 'WorkflowExecutionCanceled', workflowTaskCompletedEventId });
        return;
      case 'UpsertWorkflowSearchAttributes':
        this.add({
          type: 'UpsertWorkflowSearchAttributes',
          searchAttributes: command.searchAttributes,
          workflowTaskCompletedEventId,
        });
        return;
      case 'ModifyWorkflowProperties':
        this.add({
          type: 'WorkflowPropertiesModified',
          upsertedMemo: command.upsertedMemo,
          workflowTaskCompletedEventId,
        });
        return;
      case 'AcceptWorkflowUpdate': {
        const update = updates.find((u) => u.updateId === command.updateId);
        if (update === undefined) {
          throw new TypeError(`Pass the request of update '${command.updateId}' to completeTask.`);
        }
        const accepted = this.add({
          type: 'WorkflowExecutionUpdateAccepted',
          updateId: update.updateId,
          name: update.name,
          input: update.args,
          workflowTaskCompletedEventId,
        });
        this.#acceptedByUpdateId.set(update.updateId, accepted.eventId);
        return;
      }
      case 'CompleteWorkflowUpdate':
        this.add({
          type: 'WorkflowExecutionUpdateCompleted',
          updateId: command.updateId,
          acceptedEventId: this.#acceptedByUpdateId.get(command.updateId) ?? 0,
          outcome: command.outcome,
          workflowTaskCompletedEventId,
        });
        return;
      case 'RejectWorkflowUpdate':
        return; // a rejected update leaves no event
      case 'ContinueAsNewWorkflowExecution':
      case 'StartChildWorkflowExecution':
      case 'SignalExternalWorkflowExecution':
      case 'RequestCancelExternalWorkflowExecution':
        throw new TypeError(`${command.type} is not supported by this builder.`);
      default: {
        const never: never = command;
        throw new TypeError(`Unknown command ${JSON.stringify(never)}`);
      }
    }
  }

  /** The patch marker a task recorded (as `patched(id)` does). */
  patchMarker(patchId: string): this {
    this.add({
      type: 'MarkerRecorded',
      markerName: PATCH_MARKER,
      details: { patchId, deprecated: false },
      workflowTaskCompletedEventId: this.#lastCompletedTask,
    });
    return this;
  }

  activityCompleted(seq: number, result: unknown): this {
    this.add({
      type: 'ActivityTaskCompleted',
      scheduledEventId: this.#scheduled(seq),
      startedEventId: 0,
      result,
      identity: 'test-worker',
    });
    return this;
  }

  activityFailed(seq: number, failure: Failure): this {
    this.add({
      type: 'ActivityTaskFailed',
      scheduledEventId: this.#scheduled(seq),
      startedEventId: 0,
      failure,
      retryState: 'NonRetryableFailure',
      identity: 'test-worker',
    });
    return this;
  }

  timerFired(seq: number): this {
    this.add({
      type: 'TimerFired',
      timerId: String(seq),
      startedEventId: this.#timerStartedBySeq.get(seq) ?? 0,
    });
    return this;
  }

  signaled(signalName: string, input: unknown[] = []): this {
    this.add({ type: 'WorkflowExecutionSignaled', signalName, input });
    return this;
  }

  cancelRequested(reason?: string): this {
    this.add(
      reason === undefined
        ? { type: 'WorkflowExecutionCancelRequested' }
        : { type: 'WorkflowExecutionCancelRequested', reason },
    );
    return this;
  }

  #scheduled(seq: number): number {
    const id = this.#scheduledBySeq.get(seq);
    if (id === undefined) throw new TypeError(`No activity with seq ${seq} was scheduled`);
    return id;
  }
}

/** An application failure as an activity worker reports it. */
export function applicationFailure(message: string, errorType: string): Failure {
  return { message, info: { type: 'application', errorType, nonRetryable: true } };
}
