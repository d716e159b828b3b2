// Builders and small helpers shared by the store conformance suite (suite.ts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import { RunStatus } from '../../src/protocol/run-status.ts';
import { DEFAULT_PRIORITY_KEY } from '../../src/protocol/priority.ts';
import { TaskKind } from '../../src/protocol/tasks.ts';
import type {
  AppendToRunRequest,
  CreateRunRequest,
  NewTask,
  NewTimer,
  RunRecord,
  ScheduleRecord,
  Store,
  TaskRecord,
  WorkerRegistration,
} from '../../src/store/store.ts';

// Builders. Values are chosen so that every field round-trips (no `undefined` properties).

export function makeRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    namespace: 'default',
    workflowId: `wf-${randomUUID()}`,
    runId: randomUUID(),
    workflowType: 'orderWorkflow',
    taskQueue: 'main',
    status: RunStatus.Running,
    startTimeMs: 1_000,
    closeTimeMs: undefined,
    nextEventId: 3,
    version: 0,
    state: { phase: 'start' },
    ...overrides,
  };
}

export function startEvents(run: RunRecord): HistoryEvent[] {
  return [
    {
      type: 'WorkflowExecutionStarted',
      eventId: 1,
      timeMs: run.startTimeMs,
      workflowId: run.workflowId,
      workflowType: run.workflowType,
      taskQueue: run.taskQueue,
      input: [{ orderId: 7 }],
      attempt: 1,
      firstExecutionRunId: run.runId,
      workflowTaskTimeoutMs: 10_000,
    },
    {
      type: 'WorkflowTaskScheduled',
      eventId: 2,
      timeMs: run.startTimeMs,
      taskQueue: run.taskQueue,
      startToCloseTimeoutMs: 10_000,
      attempt: 1,
    },
  ];
}

export function createRequest(run: RunRecord): CreateRunRequest {
  return { run, events: startEvents(run), tasks: [workflowTask(run, 2)], timers: [] };
}

export function appendRequest(
  run: RunRecord,
  overrides: Partial<AppendToRunRequest> & { events: HistoryEvent[] },
): AppendToRunRequest {
  return {
    runId: run.runId,
    expectedNextEventId: run.nextEventId,
    expectedVersion: run.version,
    status: run.status,
    closeTimeMs: run.closeTimeMs,
    nextEventId: run.nextEventId + overrides.events.length,
    state: run.state,
    tasks: [],
    timers: [],
    deleteTimerKeys: [],
    deleteTaskIds: [],
    ...overrides,
  };
}

export function workflowTask(
  run: RunRecord,
  scheduledEventId: number,
  overrides: Partial<NewTask> = {},
): NewTask {
  return {
    namespace: run.namespace,
    taskQueue: run.taskQueue,
    kind: TaskKind.Workflow,
    runId: run.runId,
    scheduledEventId,
    attempt: 1,
    // As a found task has it; a task queued without one gets it too (the tasks suite checks).
    priority: DEFAULT_PRIORITY_KEY,
    ...overrides,
  };
}

export function makeTimer(run: RunRecord, overrides: Partial<NewTimer> = {}): NewTimer {
  return {
    runId: run.runId,
    key: 'timer-1',
    dueAtMs: 1_000,
    payload: { kind: 'userTimer', timerId: '1', startedEventId: 5 },
    ...overrides,
  };
}

export function makeWorker(overrides: Partial<WorkerRegistration> = {}): WorkerRegistration {
  return {
    namespace: 'default',
    taskQueue: 'q',
    identity: 'worker-1',
    buildId: undefined,
    workflowTypes: ['orderWorkflow'],
    activityTypes: ['charge', 'ship'],
    signalNames: null,
    seenAtMs: 1_000,
    ...overrides,
  };
}

type FindTasksOptions = { taskQueue: string } & Partial<{
  namespace: string;
  kind: TaskKind;
  skipTaskIds: number[];
  limit: number;
}>;

/** The oldest tasks of a queue (defaults: namespace 'default', workflow kind, nothing skipped, one). */
export function findTasks(store: Store, req: FindTasksOptions): Promise<TaskRecord[]> {
  return store.findTasks({
    namespace: 'default',
    kind: TaskKind.Workflow,
    skipTaskIds: [],
    limit: 1,
    ...req,
  });
}

/** The oldest task of a queue, as {@link findTasks} finds it. */
export async function findTask(
  store: Store,
  req: Omit<FindTasksOptions, 'limit'>,
): Promise<TaskRecord | undefined> {
  return (await findTasks(store, req))[0];
}

export function omitTaskId(task: TaskRecord | undefined): NewTask | undefined {
  if (!task) return undefined;
  const { taskId, ...rest } = task;
  assert.equal(typeof taskId, 'number');
  return rest;
}

export function signaledEvent(eventId: number, signalName: string): HistoryEvent {
  return {
    type: 'WorkflowExecutionSignaled',
    eventId,
    timeMs: 1_000 + eventId,
    signalName,
    input: [signalName],
  };
}

export function wtStartedEvent(eventId: number): HistoryEvent {
  return {
    type: 'WorkflowTaskStarted',
    eventId,
    timeMs: 1_100,
    scheduledEventId: eventId - 1,
    identity: 'worker-1',
  };
}

export function completedEvent(eventId: number): HistoryEvent {
  return {
    type: 'WorkflowExecutionCompleted',
    eventId,
    timeMs: 1_200,
    result: { total: 12.5, items: ['a', null] },
    workflowTaskCompletedEventId: eventId - 1,
  };
}

/** Events with optional fields set, nested failures, a retry policy and marker details. */
export function richEvents(firstEventId: number): HistoryEvent[] {
  let eventId = firstEventId;
  return [
    {
      type: 'WorkflowTaskCompleted',
      eventId: eventId++,
      timeMs: 2_000,
      scheduledEventId: 2,
      startedEventId: 3,
      identity: 'worker-1@host',
      buildId: 'b-1',
    },
    {
      type: 'ActivityTaskScheduled',
      eventId: eventId++,
      timeMs: 2_001,
      seq: 1,
      activityId: '1',
      activityType: 'charge',
      taskQueue: 'main',
      input: [{ amount: 10, currency: 'EUR' }, [1, 2, 3], 'ß', true, null],
      scheduleToCloseTimeoutMs: 60_000,
      startToCloseTimeoutMs: 10_000,
      heartbeatTimeoutMs: 2_000,
      retryPolicy: {
        initialIntervalMs: 1_000,
        backoffCoefficient: 1.5,
        maximumIntervalMs: 100_000,
        maximumAttempts: 0,
        nonRetryableErrorTypes: ['CardDeclined'],
      },
      workflowTaskCompletedEventId: 4,
    },
    {
      type: 'ActivityTaskFailed',
      eventId: eventId++,
      timeMs: 2_002,
      scheduledEventId: 5,
      startedEventId: 6,
      failure: {
        message: 'card declined',
        stack: 'Error: card declined\n    at charge (activities.ts:3:9)',
        source: 'TypeScriptSDK',
        info: { type: 'application', errorType: 'CardDeclined', nonRetryable: true, details: [1] },
        cause: { message: 'http 402', info: { type: 'server', nonRetryable: false } },
      },
      retryState: 'NonRetryableFailure',
      identity: 'worker-1@host',
    },
    {
      type: 'TimerStarted',
      eventId: eventId++,
      timeMs: 2_003,
      timerId: '2',
      startToFireTimeoutMs: 0,
      workflowTaskCompletedEventId: 4,
    },
    {
      type: 'MarkerRecorded',
      eventId: eventId++,
      timeMs: 2_004,
      markerName: 'core_patch',
      details: { patchId: 'v2', deprecated: false },
      workflowTaskCompletedEventId: 4,
    },
    {
      type: 'WorkflowExecutionTerminated',
      eventId: eventId++,
      timeMs: 2_005,
      reason: 'operator said so',
      identity: 'cli',
    },
  ];
}

/** A schedule as the store keeps it: hourly, with one buffered action; no search attributes. */
export function makeSchedule(
  scheduleId: string,
  overrides: Partial<ScheduleRecord> = {},
): ScheduleRecord {
  return {
    namespace: 'default',
    scheduleId,
    spec: { cronExpressions: ['0 * * * *'], timezone: 'Europe/Paris' },
    action: {
      type: 'startWorkflow',
      workflowType: 'report',
      taskQueue: 'q',
      args: [{ n: 1 }],
      workflowId: `${scheduleId}-wf`,
    },
    policies: { overlap: 'BUFFER_ONE', catchupWindowMs: 60_000, pauseOnFailure: true },
    state: { paused: false, limitedActions: true, remainingActions: 3 },
    info: {
      createdAtMs: 1_000,
      lastProcessedMs: 1_000,
      numActionsTaken: 0,
      numActionsMissedCatchupWindow: 0,
      numActionsSkippedOverlap: 0,
      recentActions: [],
      running: [],
      buffered: [{ nominalMs: 2_000, actualMs: 2_500, manual: true, overlap: 'ALLOW_ALL' }],
      starting: [],
    },
    memo: { owner: 'ann' },
    searchAttributes: undefined,
    nextActionAtMs: 3_600_000,
    version: 0,
    ...overrides,
  };
}
