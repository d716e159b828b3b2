import * as z from 'zod';

/** The status of one run of a workflow. Temporal's `WorkflowExecutionStatus` names. */
export const RunStatus = {
  Running: 'Running',
  Completed: 'Completed',
  Failed: 'Failed',
  Canceled: 'Canceled',
  Terminated: 'Terminated',
  ContinuedAsNew: 'ContinuedAsNew',
  TimedOut: 'TimedOut',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];
export const RunStatusSchema = z.enum(RunStatus);

export function isTerminal(status: RunStatus): boolean {
  return status !== RunStatus.Running;
}
