// The one list of where payloads sit in history events and workflow commands: what a worker with
// a data converter decodes on the way in and encodes on the way out. Search attributes are never
// encoded (the engine indexes them), as in Temporal.
import type { Command } from '../protocol/commands.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import { LOCAL_ACTIVITY_MARKER } from '../protocol/local-activity.ts';
import type { Failure } from '../protocol/failure.ts';
import type { UpdateOutcome } from '../protocol/update.ts';
import type { UserMetadata } from '../protocol/user-metadata.ts';
import type { LoadedDataConverter } from './data-converter.ts';

type Direction = 'encode' | 'decode';

/** The converter's functions for one direction, so each field list is written once. */
function codec(dc: LoadedDataConverter, d: Direction) {
  return d === 'encode'
    ? {
        values: (v: unknown[]) => dc.encodeValues(v),
        optValues: (v: unknown[] | undefined) => dc.encodeOptionalValues(v),
        value: (v: unknown) => dc.encodeValue(v),
        failure: (f: Failure) => dc.encodeFailure(f),
        optFailure: (f: Failure | undefined) => dc.encodeOptionalFailure(f),
        memo: <M extends Record<string, unknown> | undefined>(m: M) => dc.encodeMemo(m),
      }
    : {
        values: (v: unknown[]) => dc.decodeValues(v),
        optValues: (v: unknown[] | undefined) => dc.decodeOptionalValues(v),
        value: (v: unknown) => dc.decodeValue(v),
        failure: (f: Failure) => dc.decodeFailure(f),
        optFailure: (f: Failure | undefined) => dc.decodeOptionalFailure(f),
        memo: <M extends Record<string, unknown> | undefined>(m: M) => dc.decodeMemo(m),
      };
}

/** An update's outcome: its result, or its failure's details. */
export async function mapUpdateOutcome(
  dc: LoadedDataConverter,
  d: Direction,
  o: UpdateOutcome,
): Promise<UpdateOutcome> {
  const c = codec(dc, d);
  return o.status === 'success'
    ? { status: 'success', result: await c.value(o.result) }
    : { status: 'failure', failure: await c.failure(o.failure) };
}

/**
 * The `userMetadata` of an event or command with its summary and details mapped, as a property
 * to spread: none when it has none.
 */
export async function mapUserMetadata(
  dc: LoadedDataConverter,
  d: Direction,
  m: UserMetadata | undefined,
): Promise<{ userMetadata?: UserMetadata }> {
  if (m === undefined) return {};
  const c = codec(dc, d);
  const out: UserMetadata = {};
  if (m.summary !== undefined) out.summary = await c.value(m.summary);
  if (m.details !== undefined) out.details = await c.value(m.details);
  return { userMetadata: out };
}

/** A marker's details: a local activity's result or failure (a patch marker has none). */
async function mapMarkerDetails(
  dc: LoadedDataConverter,
  d: Direction,
  markerName: string,
  details: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (markerName !== LOCAL_ACTIVITY_MARKER) return details;
  const c = codec(dc, d);
  const out = { ...details };
  if ('result' in details) out['result'] = await c.value(details['result']);
  if (details['failure'] !== undefined)
    out['failure'] = await c.failure(details['failure'] as Failure);
  return out;
}

/**
 * A local activity's marker details as a worker with this converter sends them: what the engine
 * measures against its payload limit.
 */
export function encodeLocalActivityMarker(
  dc: LoadedDataConverter,
  details: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  return mapMarkerDetails(dc, 'encode', LOCAL_ACTIVITY_MARKER, details);
}

/** Decodes the payloads of history events (for the workflow code, or a replay). */
export function decodeHistoryEvents(
  dc: LoadedDataConverter,
  events: readonly HistoryEvent[],
): Promise<HistoryEvent[]> {
  return Promise.all(events.map((e) => mapEvent(dc, 'decode', e)));
}

async function mapEvent(
  dc: LoadedDataConverter,
  d: Direction,
  e: HistoryEvent,
): Promise<HistoryEvent> {
  const c = codec(dc, d);
  switch (e.type) {
    case 'WorkflowExecutionStarted':
      return {
        ...e,
        input: await c.values(e.input),
        memo: await c.memo(e.memo),
        continuedFailure: await c.optFailure(e.continuedFailure),
        ...(e.lastCompletionResult !== undefined && {
          lastCompletionResult: await c.value(e.lastCompletionResult),
        }),
        ...(await mapUserMetadata(dc, d, e.userMetadata)),
      };
    case 'WorkflowExecutionCompleted':
    case 'ActivityTaskCompleted':
    case 'ChildWorkflowExecutionCompleted':
      return { ...e, result: await c.value(e.result) };
    case 'WorkflowExecutionFailed':
    case 'WorkflowTaskFailed':
    case 'ActivityTaskFailed':
    case 'ActivityTaskTimedOut':
    case 'ChildWorkflowExecutionFailed':
      return { ...e, failure: await c.failure(e.failure) };
    case 'WorkflowExecutionCanceled':
    case 'ActivityTaskCanceled':
    case 'ChildWorkflowExecutionCanceled':
      return { ...e, details: await c.optValues(e.details) };
    case 'ActivityTaskScheduled':
      return {
        ...e,
        input: await c.values(e.input),
        ...(await mapUserMetadata(dc, d, e.userMetadata)),
      };
    case 'WorkflowExecutionSignaled':
    case 'SignalExternalWorkflowExecutionInitiated':
    case 'WorkflowExecutionUpdateAccepted':
      return { ...e, input: await c.values(e.input) };
    case 'WorkflowExecutionContinuedAsNew':
      return { ...e, input: await c.values(e.input), memo: await c.memo(e.memo) };
    case 'StartChildWorkflowExecutionInitiated':
      return {
        ...e,
        input: await c.values(e.input),
        memo: await c.memo(e.memo),
        ...(await mapUserMetadata(dc, d, e.userMetadata)),
      };
    case 'ActivityTaskStarted':
      return { ...e, lastFailure: await c.optFailure(e.lastFailure) };
    case 'MarkerRecorded':
      return {
        ...e,
        details: await mapMarkerDetails(dc, d, e.markerName, e.details),
        ...(await mapUserMetadata(dc, d, e.userMetadata)),
      };
    case 'TimerStarted':
      // Most timers have no summary: the event as it is, no copy.
      return e.userMetadata === undefined
        ? e
        : { ...e, ...(await mapUserMetadata(dc, d, e.userMetadata)) };
    case 'WorkflowExecutionUpdateCompleted':
      return { ...e, outcome: await mapUpdateOutcome(dc, d, e.outcome) };
    case 'WorkflowPropertiesModified':
      return { ...e, upsertedMemo: await c.memo(e.upsertedMemo) };
    case 'WorkflowExecutionTerminated':
    case 'WorkflowExecutionTimedOut':
    case 'WorkflowExecutionCancelRequested':
    case 'WorkflowTaskScheduled':
    case 'WorkflowTaskStarted':
    case 'WorkflowTaskCompleted':
    case 'WorkflowTaskTimedOut':
    case 'ActivityTaskCancelRequested':
    case 'TimerFired':
    case 'TimerCanceled':
    case 'StartChildWorkflowExecutionFailed':
    case 'ChildWorkflowExecutionStarted':
    case 'ChildWorkflowExecutionTerminated':
    case 'ChildWorkflowExecutionTimedOut':
    case 'ExternalWorkflowExecutionSignaled':
    case 'SignalExternalWorkflowExecutionFailed':
    case 'RequestCancelExternalWorkflowExecutionInitiated':
    case 'ExternalWorkflowExecutionCancelRequested':
    case 'RequestCancelExternalWorkflowExecutionFailed':
    case 'UpsertWorkflowSearchAttributes':
      return e;
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** Encodes the payloads of a workflow task's commands (before they reach the engine). */
export function encodeCommands(
  dc: LoadedDataConverter,
  commands: readonly Command[],
): Promise<Command[]> {
  return Promise.all(commands.map((cmd) => encodeCommand(dc, cmd)));
}

async function encodeCommand(dc: LoadedDataConverter, cmd: Command): Promise<Command> {
  const c = codec(dc, 'encode');
  switch (cmd.type) {
    case 'ScheduleActivityTask':
      return {
        ...cmd,
        args: await c.values(cmd.args),
        ...(await mapUserMetadata(dc, 'encode', cmd.userMetadata)),
      };
    case 'SignalExternalWorkflowExecution':
      return { ...cmd, args: await c.values(cmd.args) };
    case 'ContinueAsNewWorkflowExecution':
      return { ...cmd, args: await c.values(cmd.args), memo: await c.memo(cmd.memo) };
    case 'StartChildWorkflowExecution':
      return {
        ...cmd,
        args: await c.values(cmd.args),
        memo: await c.memo(cmd.memo),
        ...(await mapUserMetadata(dc, 'encode', cmd.userMetadata)),
      };
    case 'CompleteWorkflowExecution':
      return { ...cmd, result: await c.value(cmd.result) };
    case 'FailWorkflowExecution':
    case 'RejectWorkflowUpdate':
      return { ...cmd, failure: await c.failure(cmd.failure) };
    case 'CancelWorkflowExecution':
      return { ...cmd, details: await c.optValues(cmd.details) };
    case 'CompleteWorkflowUpdate':
      return { ...cmd, outcome: await mapUpdateOutcome(dc, 'encode', cmd.outcome) };
    case 'RecordMarker':
      return {
        ...cmd,
        details: await mapMarkerDetails(dc, 'encode', cmd.markerName, cmd.details),
        ...(await mapUserMetadata(dc, 'encode', cmd.userMetadata)),
      };
    case 'StartTimer':
      return { ...cmd, ...(await mapUserMetadata(dc, 'encode', cmd.userMetadata)) };
    case 'ModifyWorkflowProperties':
      return { ...cmd, upsertedMemo: await c.memo(cmd.upsertedMemo) };
    case 'RequestCancelActivityTask':
    case 'CancelTimer':
    case 'AcceptWorkflowUpdate':
    case 'RequestCancelExternalWorkflowExecution':
    case 'UpsertWorkflowSearchAttributes':
      return cmd;
    default: {
      const never: never = cmd;
      return never;
    }
  }
}
