// Signals and cancel requests one workflow sends another (getExternalWorkflowHandle, a child
// handle's signal, a cancelled child): delivered to the target run, then the outcome recorded in
// the caller. Carried out from a timer row due at once (cross-run-commands.ts); after a crash it
// runs again, and a signal already delivered is recognised by its request id.
import { IllegalStateError } from '../../errors.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type { EventOf } from '../../protocol/history-events.ts';
import type { TimerPayload } from '../../protocol/tasks.ts';
import type { RunRecord, TimerRecord } from '../../store/store.ts';
import type { EngineDeps } from '../deps.ts';
import { parseRunState } from '../run-state.ts';
import { updateRun } from '../update-run.ts';
import { readEvent } from './child-workflows.ts';

type Payload<K extends TimerPayload['kind']> = Extract<TimerPayload, { kind: K }>;

/** How many request ids of delivered external signals a run remembers. */
const REMEMBERED_SIGNAL_REQUESTS = 200;

export async function signalExternalDue(
  deps: EngineDeps,
  timer: TimerRecord,
  p: Payload<'signalExternal'>,
): Promise<void> {
  const found = await initiatedRequest(
    deps,
    timer,
    p.initiatedEventId,
    'SignalExternalWorkflowExecutionInitiated',
  );
  if (!found) return;
  const { caller, init, target } = found;
  let delivered = false;
  if (target) {
    delivered = await updateRun(deps, target.runId, (tx) => {
      if (!tx.isRunning) return false;
      const seen = (tx.state.externalSignalRequestIds ??= []);
      if (seen.includes(p.requestId)) return true;
      seen.push(p.requestId);
      if (seen.length > REMEMBERED_SIGNAL_REQUESTS) seen.shift();
      tx.append({
        type: 'WorkflowExecutionSignaled',
        signalName: init.signalName,
        input: init.input,
        ...(init.header !== undefined && { header: init.header }),
        identity: `workflow ${caller.workflowId} (run ${caller.runId})`,
      });
      return true;
    });
  }
  await updateRun(deps, caller.runId, (tx) => {
    tx.deleteTimer(timer.key);
    if (!tx.isRunning) return;
    const ref = {
      namespace: init.namespace,
      workflowId: init.workflowId,
      ...(init.runId !== undefined && { runId: init.runId }),
      initiatedEventId: init.eventId,
    };
    if (delivered) tx.append({ type: 'ExternalWorkflowExecutionSignaled', ...ref });
    else {
      tx.append({
        type: 'SignalExternalWorkflowExecutionFailed',
        ...ref,
        cause: 'ExternalWorkflowExecutionNotFound',
      });
    }
  });
}

export async function cancelExternalDue(
  deps: EngineDeps,
  timer: TimerRecord,
  p: Payload<'cancelExternal'>,
): Promise<void> {
  const found = await initiatedRequest(
    deps,
    timer,
    p.initiatedEventId,
    'RequestCancelExternalWorkflowExecutionInitiated',
  );
  if (!found) return;
  const { caller, init, target } = found;
  let delivered = false;
  if (target) {
    delivered = await updateRun(deps, target.runId, (tx) => {
      if (!tx.isRunning) return false;
      if (!tx.state.cancelRequested) {
        tx.append({
          type: 'WorkflowExecutionCancelRequested',
          ...(init.reason !== undefined && { reason: init.reason }),
          identity: `workflow ${caller.workflowId} (run ${caller.runId})`,
        });
      }
      return true;
    });
  }
  await updateRun(deps, caller.runId, (tx) => {
    tx.deleteTimer(timer.key);
    if (!tx.isRunning) return;
    const ref = {
      namespace: init.namespace,
      workflowId: init.workflowId,
      ...(init.runId !== undefined && { runId: init.runId }),
      initiatedEventId: init.eventId,
    };
    if (delivered) tx.append({ type: 'ExternalWorkflowExecutionCancelRequested', ...ref });
    else {
      tx.append({
        type: 'RequestCancelExternalWorkflowExecutionFailed',
        ...ref,
        cause: 'ExternalWorkflowExecutionNotFound',
      });
    }
  });
}

/** The running run a signal or cancel is for; with childWorkflowOnly, only a child of caller. */
/**
 * The calling run, its initiated event and the target run, for a delivery timer; undefined (and
 * the timer deleted) when the caller has closed.
 */
async function initiatedRequest<
  T extends
    'SignalExternalWorkflowExecutionInitiated' | 'RequestCancelExternalWorkflowExecutionInitiated',
>(
  deps: EngineDeps,
  timer: TimerRecord,
  initiatedEventId: number,
  type: T,
): Promise<{ caller: RunRecord; init: EventOf<T>; target: RunRecord | undefined } | undefined> {
  const caller = await deps.store.getRun({ runId: timer.runId });
  if (caller?.status !== RunStatus.Running) {
    await deps.store.deleteTimer({ runId: timer.runId, key: timer.key });
    return undefined;
  }
  const init = await readEvent(deps, caller.runId, initiatedEventId);
  if (init.type !== type) {
    throw new IllegalStateError(`Run ${caller.runId}: event ${initiatedEventId} is ${init.type}.`);
  }
  const event = init as EventOf<T>;
  return { caller, init: event, target: await findTarget(deps, caller, event) };
}

async function findTarget(
  deps: EngineDeps,
  caller: RunRecord,
  init: {
    namespace: string;
    workflowId: string;
    runId?: string | undefined;
    childWorkflowOnly: boolean;
  },
): Promise<RunRecord | undefined> {
  const target = await deps.store.findRun({
    namespace: init.namespace,
    workflowId: init.workflowId,
    runId: init.runId,
  });
  if (target?.status !== RunStatus.Running) return undefined;
  if (
    init.childWorkflowOnly &&
    parseRunState(target.state).parent?.workflowId !== caller.workflowId
  ) {
    return undefined;
  }
  return target;
}
