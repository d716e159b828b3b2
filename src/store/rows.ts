// Row ⇄ domain conversion shared by the store backends. Rows are snake_case, as stored; what
// comes back from disk is parsed here with zod, once (STYLE §1.4: disk is a boundary) — except
// history batches, whose shape is checked by hand (see eventsFromBatch).
import * as z from 'zod';
import { ErrorCode, IllegalStateError, RepriseError } from '../errors.ts';
import { compiled } from '../util/compiled-schema.ts';
import { HistoryEvent } from '../protocol/history-events.ts';
import { RunStatusSchema } from '../protocol/run-status.ts';
import { INDEXED_VALUE_TYPES } from '../protocol/search-attribute-types.ts';
import { TaskKindSchema, TimerPayload } from '../protocol/tasks.ts';
import { DEFAULT_PRIORITY_KEY } from '../protocol/priority.ts';
import type {
  AppendToRunRequest,
  CreateRunRequest,
  EngineProcessRecord,
  NamespaceRecord,
  NewTask,
  NewTimer,
  RunRecord,
  TaskRecord,
  TimerRecord,
  WorkerRegistration,
} from './store.ts';

const int = z.number().int();

/** JSON columns. `runs.state` has none on purpose: the store does not interpret it. */
export const StringListColumn = z.array(z.string());
export const SignalNamesColumn = z.array(z.string()).nullable();
export const TimerPayloadColumn = TimerPayload;
/** `runs.search_attributes` and `runs.memo`: JSON objects. */
export const JsonObjectColumn = z.record(z.string(), z.unknown());

export const RunRow = z.object({
  run_id: z.string(),
  namespace: z.string(),
  workflow_id: z.string(),
  workflow_type: z.string(),
  task_queue: z.string(),
  status: RunStatusSchema,
  start_time_ms: int,
  close_time_ms: int.nullable(),
  next_event_id: int,
  version: int,
  /** JSON text, or NULL when the state is undefined. */
  state: z.string().nullable(),
  search_attributes: z.string().nullable(),
  memo: z.string().nullable(),
  execution_time_ms: int.nullable(),
});
export type RunRow = z.infer<typeof RunRow>;

/**
 * One append's events, or a chain's (ADR 0010), in `history_batches`: a JSON array of whole
 * events, in order.
 */
export interface HistoryBatchRow {
  run_id: string;
  first_event_id: number;
  last_event_id: number;
  events: string;
}

export const TaskRow = z.object({
  task_id: int,
  namespace: z.string(),
  task_queue: z.string(),
  kind: TaskKindSchema,
  run_id: z.string(),
  scheduled_event_id: int,
  attempt: int,
  priority: int,
});
export type TaskRow = z.infer<typeof TaskRow>;
/** A task row as a read of one queue finds it: the queue's columns are the read's own. */
export const QueuedTaskRow = TaskRow.pick({
  task_id: true,
  run_id: true,
  scheduled_event_id: true,
  attempt: true,
  priority: true,
});
/** A task row before the database gives it an id (its lease starts free). */
export type NewTaskRow = Omit<TaskRow, 'task_id'>;

export const TimerRow = z.object({
  run_id: z.string(),
  key: z.string(),
  due_at_ms: int,
  payload: z.string(),
});
export type TimerRow = z.infer<typeof TimerRow>;

export const WorkerRegistrationRow = z.object({
  namespace: z.string(),
  task_queue: z.string(),
  identity: z.string(),
  build_id: z.string().nullable(),
  workflow_types: z.string(),
  activity_types: z.string(),
  signal_names: z.string().nullable(),
  seen_at_ms: int,
});
export type WorkerRegistrationRow = z.infer<typeof WorkerRegistrationRow>;

export const EngineProcessRow = z.object({
  process_id: z.string(),
  host_key: z.string().nullable(),
  pid: int,
  pid_start: z.string().nullable(),
  started_at_ms: int,
  seen_at_ms: int,
});
export type EngineProcessRow = z.infer<typeof EngineProcessRow>;

/** A row of namespaces. */
export const NamespaceRow = z.object({
  name: z.string(),
  description: z.string(),
  created_at_ms: int,
});
export type NamespaceRow = z.infer<typeof NamespaceRow>;

export function namespaceFromRow(row: unknown): NamespaceRecord {
  const r = parseRow(NamespaceRow, row, 'namespace');
  return { namespace: r.name, description: r.description, createdAtMs: r.created_at_ms };
}

/** A row of search_attribute_types: a custom search attribute's registered type. */
export const SearchAttributeTypeRow = z.object({
  name: z.string(),
  type: z.enum(INDEXED_VALUE_TYPES),
});
export type SearchAttributeTypeRow = z.infer<typeof SearchAttributeTypeRow>;

/** A stored value that does not parse: the database was edited, or written by other code. */
export class CorruptRowError extends RepriseError {
  constructor(where: string, problem: string, options?: ErrorOptions) {
    super(
      ErrorCode.Internal,
      `Stored ${where} is not valid: ${problem}. The database was written by an incompatible ` +
        'Reprise version or edited by hand; restore it from a backup.',
      options,
    );
  }
}

/** Parses a row as read from the database. */
export function parseRow<S extends z.ZodType>(schema: S, row: unknown, where: string): z.output<S> {
  const parsed = compiled(schema).safeParse(row);
  if (!parsed.success) throw new CorruptRowError(where, z.prettifyError(parsed.error));
  return parsed.data;
}

/** Parses a JSON column's text and checks it against the column's schema. */
export function parseJsonColumn<S extends z.ZodType>(
  schema: S,
  text: string,
  where: string,
): z.output<S> {
  return parseRow(schema, parseJson(text, where), where);
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CorruptRowError(where, 'not JSON', { cause: e });
  }
}

export function runToRow(run: RunRecord): RunRow {
  return {
    run_id: run.runId,
    namespace: run.namespace,
    workflow_id: run.workflowId,
    workflow_type: run.workflowType,
    task_queue: run.taskQueue,
    status: run.status,
    start_time_ms: run.startTimeMs,
    close_time_ms: run.closeTimeMs ?? null,
    next_event_id: run.nextEventId,
    version: run.version,
    state: stateToColumn(run.state),
    search_attributes: objectToColumn(run.searchAttributes),
    memo: objectToColumn(run.memo),
    execution_time_ms: run.executionTimeMs ?? null,
  };
}

/** `runs.held_by`: the distinct engine processes, space-separated, or NULL for none. */
export function heldByToColumn(processIds: readonly string[] | undefined): string | null {
  if (processIds === undefined || processIds.length === 0) return null;
  return [...new Set(processIds)].join(' ');
}

/** A visibility JSON object as stored: NULL when absent. */
export function objectToColumn(value: Record<string, unknown> | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function runFromRow(row: unknown): RunRecord {
  const r = parseRow(RunRow, row, 'run');
  return {
    namespace: r.namespace,
    workflowId: r.workflow_id,
    runId: r.run_id,
    workflowType: r.workflow_type,
    taskQueue: r.task_queue,
    status: r.status,
    startTimeMs: r.start_time_ms,
    closeTimeMs: r.close_time_ms ?? undefined,
    nextEventId: r.next_event_id,
    version: r.version,
    state: r.state === null ? undefined : parseJson(r.state, `state of run ${r.run_id}`),
    ...(r.search_attributes !== null && {
      searchAttributes: parseJsonColumn(
        JsonObjectColumn,
        r.search_attributes,
        `search attributes of run ${r.run_id}`,
      ),
    }),
    ...(r.memo !== null && {
      memo: parseJsonColumn(JsonObjectColumn, r.memo, `memo of run ${r.run_id}`),
    }),
    ...(r.execution_time_ms !== null && { executionTimeMs: r.execution_time_ms }),
  };
}

/** `undefined` is stored as NULL so that it round-trips; anything else as JSON text. */
export function stateToColumn(state: unknown): string | null {
  const json = JSON.stringify(state) as string | undefined;
  return json ?? null;
}

/**
 * Contract 1 (events are appended once, in order, without gaps): `events` must be numbered from
 * `firstEventId` on, and `nextEventId` must follow the last. Checked before any write.
 */
export function assertEventSequence(req: {
  operation: string;
  runId: string;
  firstEventId: number;
  events: readonly HistoryEvent[];
  nextEventId: number;
}): void {
  req.events.forEach((event, i) => {
    if (event.eventId !== req.firstEventId + i) {
      throw new IllegalStateError(
        `${req.operation}: event ${i} (${event.type}) of run ${req.runId} has id ${event.eventId}, ` +
          `expected ${req.firstEventId + i}: event ids must continue the history without gaps.`,
      );
    }
  });
  const expected = req.firstEventId + req.events.length;
  if (req.nextEventId !== expected) {
    throw new IllegalStateError(
      `${req.operation}: run ${req.runId} would get nextEventId ${req.nextEventId} after ` +
        `${req.events.length} event(s) from ${req.firstEventId}; expected ${expected}.`,
    );
  }
}

/**
 * An append's events continue its run's history from `expectedNextEventId` to `nextEventId`, and
 * those of the run it creates (continue-as-new) start that run's: checked before any write.
 */
export function assertAppendSequence(req: AppendToRunRequest): void {
  assertEventSequence({
    operation: 'appendToRun',
    runId: req.runId,
    firstEventId: req.expectedNextEventId,
    events: req.events,
    nextEventId: req.nextEventId,
  });
  if (req.createRun !== undefined) assertCreateSequence(req.createRun, 'appendToRun (createRun)');
}

/** A new run's first events are numbered from 1 up to its nextEventId: checked before any write. */
export function assertCreateSequence(req: CreateRunRequest, operation = 'createRun'): void {
  assertEventSequence({
    operation,
    runId: req.run.runId,
    firstEventId: 1,
    events: req.events,
    nextEventId: req.run.nextEventId,
  });
}

/** The row of one append's events (at least one, consecutive, as assertEventSequence checked). */
export function eventsToBatchRow(runId: string, events: readonly HistoryEvent[]): HistoryBatchRow {
  return {
    run_id: runId,
    first_event_id: events[0]?.eventId ?? 0,
    last_event_id: events.at(-1)?.eventId ?? 0,
    events: JSON.stringify(events),
  };
}

const EVENT_TYPES: ReadonlySet<unknown> = new Set(
  HistoryEvent.options.map((o) => o.shape.type.value),
);

/**
 * The events of one `history_batches` row from `fromEventId` on. The row's shape is checked —
 * an array of events of known types with consecutive ids and integer times — but not each
 * event's fields against its schema: the engine wrote them from events it had built and checked
 * (a full parse was a fifth of a restarted worker's time rebuilding its runs), and a history read
 * back must equal the one the engine kept in its run cache, which a parse that drops unknown keys
 * would not guarantee.
 */
export function eventsFromBatch(
  events: string,
  runId: string,
  fromEventId: number,
): HistoryEvent[] {
  const where = `history of run ${runId}`;
  const value = parseJson(events, where);
  if (!Array.isArray(value) || value.length === 0) {
    throw new CorruptRowError(where, 'a batch is not a non-empty array of events');
  }
  let expectedId: number | undefined;
  for (const [i, e] of (value as unknown[]).entries()) {
    const problem = eventShapeProblem(e, expectedId);
    if (problem !== undefined) throw new CorruptRowError(where, `event ${i} of a batch ${problem}`);
    expectedId = (e as HistoryEvent).eventId + 1;
  }
  const out = value as HistoryEvent[];
  return (out[0]?.eventId ?? fromEventId) >= fromEventId
    ? out
    : out.filter((e) => e.eventId >= fromEventId);
}

function eventShapeProblem(e: unknown, expectedId: number | undefined): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'is not an object';
  const { eventId, type, timeMs } = e as Record<string, unknown>;
  if (!Number.isInteger(eventId) || (eventId as number) < 1) return 'has no positive eventId';
  if (expectedId !== undefined && eventId !== expectedId) {
    return `has eventId ${String(eventId)} where ${expectedId} follows`;
  }
  if (!EVENT_TYPES.has(type)) return `has an unknown type (${JSON.stringify(type)})`;
  if (!Number.isInteger(timeMs)) return 'has no integer timeMs';
  return undefined;
}

export function taskToRow(task: NewTask): NewTaskRow {
  return {
    namespace: task.namespace,
    task_queue: task.taskQueue,
    kind: task.kind,
    run_id: task.runId,
    scheduled_event_id: task.scheduledEventId,
    attempt: task.attempt,
    priority: task.priority ?? DEFAULT_PRIORITY_KEY,
  };
}

/** A task of `queue` from its {@link QueuedTaskRow}. */
export function queuedTaskFromRow(
  queue: Pick<TaskRecord, 'namespace' | 'taskQueue' | 'kind'>,
  row: unknown,
): TaskRecord {
  const r = parseRow(QueuedTaskRow, row, 'task');
  return {
    taskId: r.task_id,
    namespace: queue.namespace,
    taskQueue: queue.taskQueue,
    kind: queue.kind,
    runId: r.run_id,
    scheduledEventId: r.scheduled_event_id,
    attempt: r.attempt,
    priority: r.priority,
  };
}

export function timerToRow(timer: NewTimer): TimerRow {
  return {
    run_id: timer.runId,
    key: timer.key,
    due_at_ms: timer.dueAtMs,
    payload: JSON.stringify(timer.payload),
  };
}

export function timerFromRow(row: unknown): TimerRecord {
  const r = parseRow(TimerRow, row, 'timer');
  return {
    runId: r.run_id,
    key: r.key,
    dueAtMs: r.due_at_ms,
    payload: parseJsonColumn(TimerPayloadColumn, r.payload, `payload of timer ${r.key}`),
  };
}

export function workerToRow(w: WorkerRegistration): WorkerRegistrationRow {
  return {
    namespace: w.namespace,
    task_queue: w.taskQueue,
    identity: w.identity,
    build_id: w.buildId ?? null,
    workflow_types: JSON.stringify(w.workflowTypes),
    activity_types: JSON.stringify(w.activityTypes),
    signal_names: w.signalNames === null ? null : JSON.stringify(w.signalNames),
    seen_at_ms: w.seenAtMs,
  };
}

export function engineProcessToRow(p: EngineProcessRecord): EngineProcessRow {
  return {
    process_id: p.processId,
    host_key: p.hostKey ?? null,
    pid: p.pid,
    pid_start: p.pidStart ?? null,
    started_at_ms: p.startedAtMs,
    seen_at_ms: p.seenAtMs,
  };
}

export function engineProcessFromRow(row: unknown): EngineProcessRecord {
  const r = parseRow(EngineProcessRow, row, 'engine process');
  return {
    processId: r.process_id,
    hostKey: r.host_key ?? undefined,
    pid: r.pid,
    pidStart: r.pid_start ?? undefined,
    startedAtMs: r.started_at_ms,
    seenAtMs: r.seen_at_ms,
  };
}

export function workerFromRow(row: unknown): WorkerRegistration {
  const r = parseRow(WorkerRegistrationRow, row, 'worker registration');
  const where = `worker registration of ${r.identity}`;
  return {
    namespace: r.namespace,
    taskQueue: r.task_queue,
    identity: r.identity,
    buildId: r.build_id ?? undefined,
    workflowTypes: parseJsonColumn(StringListColumn, r.workflow_types, `${where} (workflow types)`),
    activityTypes: parseJsonColumn(StringListColumn, r.activity_types, `${where} (activity types)`),
    signalNames:
      r.signal_names === null
        ? null
        : parseJsonColumn(SignalNamesColumn, r.signal_names, `${where} (signal names)`),
    seenAtMs: r.seen_at_ms,
  };
}
