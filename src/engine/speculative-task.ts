import type { Command } from '../protocol/commands.ts';
import type { HistoryEvent } from '../protocol/history-events.ts';
import type { RunTx } from './update-run.ts';
import { rejectUpdate } from './workflow-updates.ts';

/**
 * Speculative workflow tasks (Temporal's rule for updates): a task scheduled only to deliver an
 * update keeps its WorkflowTaskScheduled/Started events in the run's state, with the ids the
 * worker sees, instead of in history. If the worker answers with rejections only, they are
 * dropped and history is as if the update never came; anything else (an accepted update, another
 * command, a signal or timeout meanwhile) writes them first, in order ({@link RunTx.append}).
 */

/** Schedules one for the run, which has no workflow task out and none backing off. */
export function scheduleSpeculativeWorkflowTask(tx: RunTx): void {
  const scheduled: HistoryEvent = {
    type: 'WorkflowTaskScheduled',
    eventId: tx.state.nextEventId,
    timeMs: tx.nowMs,
    taskQueue: tx.state.taskQueue,
    startToCloseTimeoutMs: tx.state.workflowTaskTimeoutMs,
    attempt: 1,
  };
  tx.state.workflowTask = {
    scheduledEventId: scheduled.eventId,
    attempt: 1,
    speculative: { scheduled },
  };
  tx.enqueueWorkflowTask();
}

/**
 * A task whose answer is rejections only, with nothing else waiting: applies them and drops the
 * task without a trace. False (nothing done) for any other task or answer.
 */
export function dropSpeculativeWorkflowTask(tx: RunTx, commands: readonly Command[]): boolean {
  const wt = tx.state.workflowTask;
  if (wt?.speculative === undefined || tx.state.eventsWhileTaskStarted) return false;
  if (commands.length === 0) return false;
  for (const c of commands) if (c.type !== 'RejectWorkflowUpdate') return false;
  for (const c of commands) if (c.type === 'RejectWorkflowUpdate') rejectUpdate(tx, c);
  tx.state.workflowTask = undefined;
  tx.touch();
  return true;
}

/** The speculative events a worker's task must include after the stored history. */
export function speculativeEvents(tx: RunTx): HistoryEvent[] {
  const s = tx.state.workflowTask?.speculative;
  if (s === undefined) return [];
  return s.started === undefined ? [s.scheduled] : [s.scheduled, s.started];
}
