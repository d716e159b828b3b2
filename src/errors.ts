// Sandbox-safe: imported by the workflow runtime, so no node:* and no I/O.

/** Every error Reprise raises has one of these codes; the HTTP status follows from the code. */
export const ErrorCode = {
  WorkflowNotFound: 'WorkflowNotFound',
  WorkflowAlreadyStarted: 'WorkflowAlreadyStarted',
  NamespaceNotFound: 'NamespaceNotFound',
  /** A namespace of that name exists: Temporal's NamespaceAlreadyExists. */
  NamespaceAlreadyExists: 'NamespaceAlreadyExists',
  UnknownWorkflowType: 'UnknownWorkflowType',
  UnknownSignal: 'UnknownSignal',
  QueryNotRegistered: 'QueryNotRegistered',
  QueryFailed: 'QueryFailed',
  ActivityTaskNotFound: 'ActivityTaskNotFound',
  WorkflowTaskNotFound: 'WorkflowTaskNotFound',
  WorkflowFailed: 'WorkflowFailed',
  InvalidArgument: 'InvalidArgument',
  PayloadTooLarge: 'PayloadTooLarge',
  RunConflict: 'RunConflict',
  NonDeterminism: 'NonDeterminism',
  IllegalState: 'IllegalState',
  Unavailable: 'Unavailable',
  /** @deprecated No longer raised: an unknown update id is `WorkflowNotFound`, as in Temporal. */
  UpdateNotFound: 'UpdateNotFound',
  /** Temporal's WorkflowNotReady: the run cannot take the request now (its workflow task fails). */
  WorkflowNotReady: 'WorkflowNotReady',
  WorkflowUpdateFailed: 'WorkflowUpdateFailed',
  ActivityCancelled: 'ActivityCancelled',
  ActivityCompletionFailed: 'ActivityCompletionFailed',
  WorkflowContinuedAsNew: 'WorkflowContinuedAsNew',
  ScheduleNotFound: 'ScheduleNotFound',
  ScheduleAlreadyRunning: 'ScheduleAlreadyRunning',
  /** An HTTP request without the server's API key, or with another one. */
  Unauthenticated: 'Unauthenticated',
  /** An HTTP request whose Host header names a host the server does not answer to. */
  HostNotAllowed: 'HostNotAllowed',
  Internal: 'Internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class RepriseError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class WorkflowNotFoundError extends RepriseError {
  readonly workflowId: string;
  readonly runId: string | undefined;
  readonly namespace: string;
  /**
   * `detail` follows the message's first sentence ("No workflow …"); `{ message }` replaces the
   * whole message, for what the workflow lacks when it exists (an update id).
   */
  constructor(
    workflowId: string,
    runId: string | undefined,
    namespace: string,
    detail?: string | { message: string },
  ) {
    super(
      ErrorCode.WorkflowNotFound,
      typeof detail === 'object'
        ? detail.message
        : `No workflow '${workflowId}'${runId ? ` with run ${runId}` : ''} in namespace '${namespace}'. ` +
            (detail ?? 'Check the workflow id, run id and namespace.'),
    );
    this.workflowId = workflowId;
    this.runId = runId;
    this.namespace = namespace;
  }
}

export class WorkflowExecutionAlreadyStartedError extends RepriseError {
  readonly workflowId: string;
  readonly workflowType: string;
  readonly runId: string;
  /** `detail` replaces the message, for a closed run that a workflowIdReusePolicy refuses. */
  constructor(workflowId: string, workflowType: string, runId: string, detail?: string) {
    super(
      ErrorCode.WorkflowAlreadyStarted,
      detail ??
        `Workflow '${workflowId}' is already running (run ${runId}). Use another workflowId, ` +
          `or get a handle to the running one with client.workflow.getHandle('${workflowId}').`,
    );
    this.workflowId = workflowId;
    this.workflowType = workflowType;
    this.runId = runId;
  }
}

export class NamespaceNotFoundError extends RepriseError {
  readonly namespace: string;
  constructor(namespace: string) {
    super(
      ErrorCode.NamespaceNotFound,
      `Namespace '${namespace}' does not exist. Check the name, or create it first: ` +
        `'reprise namespace create ${namespace}' (or engine.namespaces.create('${namespace}')).`,
    );
    this.namespace = namespace;
  }
}

/** A namespace of this name exists: Temporal's `NamespaceAlreadyExistsError`. */
export class NamespaceAlreadyExistsError extends RepriseError {
  readonly namespace: string;
  constructor(namespace: string) {
    super(
      ErrorCode.NamespaceAlreadyExists,
      `Namespace '${namespace}' already exists. Use it as it is, or create one of another name; ` +
        `'reprise namespace describe ${namespace}' shows it.`,
    );
    this.namespace = namespace;
  }
}

export class InvalidArgumentError extends RepriseError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.InvalidArgument, message, options);
  }
}

export class UnknownWorkflowTypeError extends RepriseError {
  readonly workflowType: string;
  readonly taskQueue: string;
  constructor(workflowType: string, taskQueue: string, known: readonly string[]) {
    super(
      ErrorCode.UnknownWorkflowType,
      `No worker on task queue '${taskQueue}' knows workflow type '${workflowType}' ` +
        `(known: ${known.length ? known.map((k) => `'${k}'`).join(', ') : 'none'}). ` +
        `Check the name, or export the workflow function from the worker's workflowsPath.`,
    );
    this.workflowType = workflowType;
    this.taskQueue = taskQueue;
  }
}

export class UnknownSignalError extends RepriseError {
  readonly signalName: string;
  constructor(signalName: string, workflowType: string, known: readonly string[]) {
    super(
      ErrorCode.UnknownSignal,
      `Workflow type '${workflowType}' defines no signal '${signalName}' ` +
        `(defined: ${known.length ? known.map((k) => `'${k}'`).join(', ') : 'none'}). ` +
        `Check the signal name, or declare it with defineSignal('${signalName}') in the workflow code.`,
    );
    this.signalName = signalName;
  }
}

export class PayloadTooLargeError extends RepriseError {
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(what: string, sizeBytes: number, limitBytes: number) {
    super(
      ErrorCode.PayloadTooLarge,
      `${what} is ${sizeBytes} bytes, over the ${limitBytes}-byte payload limit. ` +
        `Store large data elsewhere (a blob store, a database) and pass a reference instead.`,
    );
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/**
 * A worker's or client's `dataConverter` (its payload converter or a codec) threw while encoding
 * a payload; `cause` is what it threw.
 */
export class DataConverterError extends RepriseError {
  constructor(what: string, cause: unknown) {
    super(
      ErrorCode.InvalidArgument,
      `The dataConverter could not encode ${what}: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Make its payloadConverter and payloadCodecs accept the value, or pass a value they accept.',
      { cause },
    );
  }
}

/** Two writers raced on one run; the loser retries (DESIGN contract 1). */
export class RunConflictError extends RepriseError {
  readonly runId: string;
  constructor(runId: string, expectedNextEventId: number) {
    super(
      ErrorCode.RunConflict,
      `Run ${runId} changed concurrently (expected next event id ${expectedNextEventId}). Retry the operation.`,
    );
    this.runId = runId;
  }
}

export class IllegalStateError extends RepriseError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.IllegalState, message, options);
  }
}

/**
 * `worker.runUntil(promise)`: the worker stopped (a `shutdown()` from elsewhere) and the promise
 * had not settled within `promiseCompletionTimeout` after it. Temporal's
 * `PromiseCompletionTimeoutError`.
 */
export class PromiseCompletionTimeoutError extends RepriseError {
  constructor(message: string) {
    super(ErrorCode.IllegalState, message);
  }
}

/**
 * `worker.run()`: the worker had not stopped within `shutdownForceTime` of the start of its
 * shutdown (an activity's code ignored its cancellation, say). What still runs is abandoned;
 * exit the process. Temporal's `GracefulShutdownPeriodExpiredError`.
 */
export class GracefulShutdownPeriodExpiredError extends RepriseError {
  constructor(message: string) {
    super(ErrorCode.IllegalState, message);
  }
}

/**
 * `Worker.runReplayHistory(ies)`: the replayed code failed a workflow task for a reason other
 * than nondeterminism (it threw, or left a promise rejection unhandled). Temporal's `ReplayError`.
 */
export class ReplayError extends RepriseError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.WorkflowFailed, message, options);
  }
}

/** Replaying a history with the current workflow code gave different commands (contract 5). */
export class DeterminismViolationError extends RepriseError {
  constructor(message: string) {
    super(ErrorCode.NonDeterminism, message);
  }
}

export class QueryNotRegisteredError extends RepriseError {
  readonly queryType: string;
  constructor(message: string, queryType: string) {
    super(ErrorCode.QueryNotRegistered, message);
    this.queryType = queryType;
  }
}

export class QueryFailedError extends RepriseError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.QueryFailed, message, options);
  }
}

export class TaskNotFoundError extends RepriseError {
  readonly taskKind: 'activity' | 'workflow';
  constructor(code: 'ActivityTaskNotFound' | 'WorkflowTaskNotFound', message: string) {
    super(code, message);
    this.taskKind = code === 'ActivityTaskNotFound' ? 'activity' : 'workflow';
  }
}

/**
 * No update with this id is known to the run: it was never sent to it, or it was rejected and its
 * rejection forgotten. A `WorkflowNotFoundError`, as Temporal's client throws for it (the server
 * answers NotFound).
 * @deprecated Catch `WorkflowNotFoundError`; this subclass stays so that old imports build.
 */
export class UpdateNotFoundError extends WorkflowNotFoundError {
  readonly updateId: string;
  constructor(updateId: string, workflowId: string, runId: string, namespace: string) {
    super(workflowId, runId, namespace, {
      message:
        `Workflow '${workflowId}' (run ${runId}) in namespace '${namespace}' has no update ` +
        `'${updateId}': it was not sent to this run, or it was rejected and the rejection ` +
        'forgotten. Check the updateId and the run, or send the update with ' +
        'handle.startUpdate / executeUpdate.',
    });
    this.updateId = updateId;
  }
}

/**
 * Temporal's WorkflowNotReady: the run cannot take an update now, because its workflow task keeps
 * failing (its attempt is 3 or more); nothing was recorded. Fix the workflow (see the task
 * failure in `describe()`), then send the update again.
 */
export class WorkflowNotReadyError extends RepriseError {
  readonly workflowId: string;
  readonly runId: string;
  constructor(workflowId: string, runId: string, detail: string) {
    super(
      ErrorCode.WorkflowNotReady,
      `Unable to perform workflow execution update due to Workflow Task in failed state. ${detail}`,
    );
    this.workflowId = workflowId;
    this.runId = runId;
  }
}

export class UnavailableError extends RepriseError {
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Unavailable, message, options);
  }
}

/**
 * The server wants an API key (`engine.listen({ apiKey })`) and the request had none, or
 * another one. Pass the server's key as `Connection.connect({ address, apiKey })`.
 */
export class UnauthenticatedError extends RepriseError {
  constructor(message: string) {
    super(ErrorCode.Unauthenticated, message);
  }
}

/**
 * The server does not answer to the host the request named in its Host header (a web page of
 * another site reaching it through DNS rebinding would name its own). IP addresses, `localhost`
 * and the name the server listens on are always answered; add others with
 * `engine.listen({ allowedHosts })` or `--allowed-host`.
 */
export class HostNotAllowedError extends RepriseError {
  /** The Host header as sent, or undefined when there was none. */
  readonly host: string | undefined;
  constructor(host: string | undefined, message: string) {
    super(ErrorCode.HostNotAllowed, message);
    this.host = host;
  }
}

/**
 * What a closed engine answers: an `UnavailableError` (by name too) that will not pass, so that a
 * worker stops instead of polling it again without end.
 */
export class EngineClosedError extends UnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}

/**
 * `worker.runUntil`: the worker failed (its engine closed) and the promise it was given failed
 * too, or did not settle; `cause` holds both errors. Temporal's `CombinedWorkerRunError`.
 */
export class CombinedWorkerRunError extends RepriseError {
  declare readonly cause: { workerError: unknown; innerError: unknown };
  constructor(message: string, cause: { workerError: unknown; innerError: unknown }) {
    super(ErrorCode.Unavailable, message, { cause });
  }
}

/** Wraps a thrown value that is not an `Error` once, keeping it as the cause. */
export function ensureError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string') {
    return Object.assign(new Error(e.message), { cause: e });
  }
  return new Error(`Non-Error value thrown: ${String(e)}`, { cause: e });
}

/** A schedule with this id exists in the namespace. Temporal's `ScheduleAlreadyRunning`. */
export class ScheduleAlreadyRunning extends RepriseError {
  readonly scheduleId: string;
  constructor(scheduleId: string, namespace: string) {
    super(
      ErrorCode.ScheduleAlreadyRunning,
      `Schedule '${scheduleId}' already exists in namespace '${namespace}'. Use another id, or ` +
        `change it with client.schedule.getHandle('${scheduleId}').update(...).`,
    );
    this.scheduleId = scheduleId;
  }
}

/** No schedule with this id (never created, or deleted). Temporal's `ScheduleNotFoundError`. */
export class ScheduleNotFoundError extends RepriseError {
  readonly scheduleId: string;
  constructor(scheduleId: string, namespace: string) {
    super(
      ErrorCode.ScheduleNotFound,
      `No schedule '${scheduleId}' in namespace '${namespace}'. Check the id and namespace; ` +
        'a deleted schedule is gone.',
    );
    this.scheduleId = scheduleId;
  }
}

/** Two writers raced on one schedule row; the loser re-reads and decides again. */
export class ScheduleConflictError extends RepriseError {
  constructor(scheduleId: string, expectedVersion: number) {
    super(
      ErrorCode.RunConflict,
      `Schedule '${scheduleId}' changed concurrently (expected version ${expectedVersion}). Retry the operation.`,
    );
  }
}
