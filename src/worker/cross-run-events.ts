// The history ↔ activation mapping of what reaches other runs: continue-as-new, child
// workflows and signals or cancels sent to other workflows. Used by WorkflowRun, which matches
// these command events and turns the outcome events into jobs here.
import { IllegalStateError } from '../errors.ts';
import type { ActivationJob } from '../protocol/activation.ts';
import type { CommandOf } from '../protocol/commands.ts';
import type { Failure, RetryState } from '../protocol/failure.ts';
import type { EventOf } from '../protocol/history-events.ts';
import { LazyMap } from '../util/lazy-collections.ts';

export type CrossRunCommandEvent = EventOf<
  | 'WorkflowExecutionContinuedAsNew'
  | 'StartChildWorkflowExecutionInitiated'
  | 'SignalExternalWorkflowExecutionInitiated'
  | 'RequestCancelExternalWorkflowExecutionInitiated'
>;
export const CROSS_RUN_COMMAND_EVENT_TYPES = [
  'WorkflowExecutionContinuedAsNew',
  'StartChildWorkflowExecutionInitiated',
  'SignalExternalWorkflowExecutionInitiated',
  'RequestCancelExternalWorkflowExecutionInitiated',
] as const;

export type CrossRunCommand = CommandOf<
  | 'ContinueAsNewWorkflowExecution'
  | 'StartChildWorkflowExecution'
  | 'SignalExternalWorkflowExecution'
  | 'RequestCancelExternalWorkflowExecution'
>;

export type CrossRunOutcomeEvent = EventOf<
  | 'StartChildWorkflowExecutionFailed'
  | 'ChildWorkflowExecutionStarted'
  | 'ChildWorkflowExecutionCompleted'
  | 'ChildWorkflowExecutionFailed'
  | 'ChildWorkflowExecutionCanceled'
  | 'ChildWorkflowExecutionTerminated'
  | 'ChildWorkflowExecutionTimedOut'
  | 'ExternalWorkflowExecutionSignaled'
  | 'SignalExternalWorkflowExecutionFailed'
  | 'ExternalWorkflowExecutionCancelRequested'
  | 'RequestCancelExternalWorkflowExecutionFailed'
>;

/**
 * Which command (by seq) each initiated event of history answers, until its last outcome event:
 * a run that starts thousands of children or sends thousands of signals keeps none of them.
 */
export class CrossRunTracker {
  readonly #runId: string;
  readonly #children = new LazyMap<number, number>();
  readonly #signals = new LazyMap<number, number>();
  readonly #cancels = new LazyMap<number, number>();

  constructor(runId: string) {
    this.#runId = runId;
  }

  /** How many initiated events still wait for an outcome (tests: a long run keeps no more). */
  get size(): number {
    return this.#children.size + this.#signals.size + this.#cancels.size;
  }

  /** Whether the command event history recorded is the one this command would give. */
  static matches(command: CrossRunCommand, e: CrossRunCommandEvent): boolean {
    switch (command.type) {
      case 'ContinueAsNewWorkflowExecution':
        return e.type === 'WorkflowExecutionContinuedAsNew';
      case 'StartChildWorkflowExecution':
        return (
          e.type === 'StartChildWorkflowExecutionInitiated' &&
          e.workflowId === command.workflowId &&
          e.workflowType === command.workflowType
        );
      case 'SignalExternalWorkflowExecution':
        return (
          e.type === 'SignalExternalWorkflowExecutionInitiated' &&
          e.workflowId === command.workflowId &&
          e.signalName === command.signalName
        );
      case 'RequestCancelExternalWorkflowExecution':
        return (
          e.type === 'RequestCancelExternalWorkflowExecutionInitiated' &&
          e.workflowId === command.workflowId
        );
      default: {
        const never: never = command;
        throw new IllegalStateError(`Unknown command ${JSON.stringify(never)}`);
      }
    }
  }

  /** Remembers the seq of a matched command, for the outcome events that follow. */
  recordMatch(command: CrossRunCommand, e: CrossRunCommandEvent): void {
    if (command.type === 'StartChildWorkflowExecution') this.#children.set(e.eventId, command.seq);
    if (command.type === 'SignalExternalWorkflowExecution')
      this.#signals.set(e.eventId, command.seq);
    if (command.type === 'RequestCancelExternalWorkflowExecution') {
      this.#cancels.set(e.eventId, command.seq);
    }
  }

  /** The job an outcome event gives the workflow. */
  jobFor(e: CrossRunOutcomeEvent): ActivationJob {
    switch (e.type) {
      case 'ChildWorkflowExecutionStarted':
        return {
          type: 'resolveChildWorkflowExecutionStart',
          seq: this.#seq(this.#children, e, false), // its close follows
          resolution: { status: 'started', runId: e.runId },
        };
      case 'StartChildWorkflowExecutionFailed':
        return {
          type: 'resolveChildWorkflowExecutionStart',
          seq: this.#seq(this.#children, e),
          resolution: {
            status: 'failed',
            cause: e.cause,
            workflowType: e.workflowType,
            runningRunId: e.runningRunId ?? '',
          },
        };
      case 'ChildWorkflowExecutionCompleted':
        return {
          type: 'resolveChildWorkflowExecution',
          seq: this.#seq(this.#children, e),
          resolution: { status: 'completed', result: e.result },
        };
      case 'ChildWorkflowExecutionFailed':
      case 'ChildWorkflowExecutionCanceled':
      case 'ChildWorkflowExecutionTerminated':
      case 'ChildWorkflowExecutionTimedOut':
        return {
          type: 'resolveChildWorkflowExecution',
          seq: this.#seq(this.#children, e),
          resolution: { status: 'failed', failure: childFailure(e) },
        };
      case 'ExternalWorkflowExecutionSignaled':
        return {
          type: 'resolveSignalExternalWorkflow',
          seq: this.#seq(this.#signals, e),
          failure: undefined,
        };
      case 'SignalExternalWorkflowExecutionFailed':
        return {
          type: 'resolveSignalExternalWorkflow',
          seq: this.#seq(this.#signals, e),
          failure: notFound('Unable to signal external workflow because it was not found', e),
        };
      case 'ExternalWorkflowExecutionCancelRequested':
        return {
          type: 'resolveRequestCancelExternalWorkflow',
          seq: this.#seq(this.#cancels, e),
          failure: undefined,
        };
      case 'RequestCancelExternalWorkflowExecutionFailed':
        return {
          type: 'resolveRequestCancelExternalWorkflow',
          seq: this.#seq(this.#cancels, e),
          failure: notFound('Unable to cancel external workflow because it was not found', e),
        };
      default: {
        const never: never = e;
        throw new IllegalStateError(`Unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  /** The seq event `e` answers; forgotten unless `e` is not the last outcome (`last`). */
  #seq(map: LazyMap<number, number>, e: CrossRunOutcomeEvent, last = true): number {
    const seq = map.get(e.initiatedEventId);
    if (seq === undefined) {
      throw new IllegalStateError(
        `Run ${this.#runId}: event ${e.eventId} (${e.type}) answers event ${e.initiatedEventId}, which history does not hold.`,
      );
    }
    if (last) map.delete(e.initiatedEventId);
    return seq;
  }
}

/** The ChildWorkflowFailure a parent sees, with why the child ended as its cause. */
function childFailure(
  e: EventOf<
    | 'ChildWorkflowExecutionFailed'
    | 'ChildWorkflowExecutionCanceled'
    | 'ChildWorkflowExecutionTerminated'
    | 'ChildWorkflowExecutionTimedOut'
  >,
): Failure {
  let cause: Failure;
  let retryState: RetryState = 'NonRetryableFailure';
  switch (e.type) {
    case 'ChildWorkflowExecutionFailed':
      cause = e.failure;
      retryState = e.retryState; // why the child's retry policy (if any) stopped
      break;
    case 'ChildWorkflowExecutionCanceled':
      cause = { message: 'Workflow cancelled', info: { type: 'cancelled', details: e.details } };
      break;
    case 'ChildWorkflowExecutionTerminated':
      cause = { message: e.reason || 'Workflow terminated', info: { type: 'terminated' } };
      break;
    case 'ChildWorkflowExecutionTimedOut':
      cause = {
        message: 'Workflow execution timed out',
        info: { type: 'timeout', timeoutType: 'StartToClose' },
      };
      retryState = e.retryState; // RetryPolicyNotSet, Timeout, or why the child's retries stopped
      break;
    default: {
      const never: never = e;
      throw new IllegalStateError(`Unknown event ${JSON.stringify(never)}`);
    }
  }
  return {
    message: 'Child Workflow execution failed',
    info: {
      type: 'childWorkflow',
      namespace: e.namespace,
      workflowId: e.workflowId,
      runId: e.runId,
      workflowType: e.workflowType,
      initiatedEventId: e.initiatedEventId,
      startedEventId: e.startedEventId,
      retryState,
    },
    cause,
  };
}

function notFound(message: string, e: { workflowId: string; runId?: string | undefined }): Failure {
  return {
    message: `${message}: workflow '${e.workflowId}'${e.runId !== undefined ? ` run ${e.runId}` : ''}.`,
    info: {
      type: 'application',
      errorType: 'ExternalWorkflowExecutionNotFound',
      nonRetryable: true,
    },
  };
}

export function describeCrossRunEvent(e: CrossRunCommandEvent): string {
  switch (e.type) {
    case 'WorkflowExecutionContinuedAsNew':
      return `${e.type} (workflowType '${e.workflowType}')`;
    case 'StartChildWorkflowExecutionInitiated':
      return `${e.type} (workflowType '${e.workflowType}', workflowId '${e.workflowId}')`;
    case 'SignalExternalWorkflowExecutionInitiated':
      return `${e.type} (signalName '${e.signalName}', workflowId '${e.workflowId}')`;
    case 'RequestCancelExternalWorkflowExecutionInitiated':
      return `${e.type} (workflowId '${e.workflowId}')`;
    default: {
      const never: never = e;
      return String(never);
    }
  }
}

export function describeCrossRunCommand(c: CrossRunCommand): string {
  switch (c.type) {
    case 'ContinueAsNewWorkflowExecution':
      return `${c.type} (workflowType '${c.workflowType}')`;
    case 'StartChildWorkflowExecution':
      return `${c.type} (workflowType '${c.workflowType}', workflowId '${c.workflowId}', seq ${c.seq})`;
    case 'SignalExternalWorkflowExecution':
      return `${c.type} (signalName '${c.signalName}', workflowId '${c.workflowId}', seq ${c.seq})`;
    case 'RequestCancelExternalWorkflowExecution':
      return `${c.type} (workflowId '${c.workflowId}', seq ${c.seq})`;
    default: {
      const never: never = c;
      return String(never);
    }
  }
}
