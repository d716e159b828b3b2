// Sandbox-safe: Temporal's workflow id policies, applied when a start finds its id in use.
import * as z from 'zod';

/**
 * What a start does when the workflow id was used by a run that is now closed. Temporal's
 * `WorkflowIdReusePolicy`; `ALLOW_DUPLICATE` is the default.
 */
export const WorkflowIdReusePolicy = {
  /** Start a new run whatever the closed run's outcome. */
  ALLOW_DUPLICATE: 'ALLOW_DUPLICATE',
  /** Start a new run only if the last run did not complete (failed, cancelled, terminated, timed out). */
  ALLOW_DUPLICATE_FAILED_ONLY: 'ALLOW_DUPLICATE_FAILED_ONLY',
  /** Never start another run with this workflow id. */
  REJECT_DUPLICATE: 'REJECT_DUPLICATE',
  /**
   * Terminate a running run and start a new one; deprecated by Temporal in favour of
   * `workflowIdConflictPolicy: TERMINATE_EXISTING`, and not to be combined with a conflict policy.
   */
  TERMINATE_IF_RUNNING: 'TERMINATE_IF_RUNNING',
} as const;
export type WorkflowIdReusePolicy =
  (typeof WorkflowIdReusePolicy)[keyof typeof WorkflowIdReusePolicy];
export const WorkflowIdReusePolicySchema = z.enum(WorkflowIdReusePolicy);

/**
 * What a start does when the workflow id has a running run. Temporal's
 * `WorkflowIdConflictPolicy`; `FAIL` is the default.
 */
export const WorkflowIdConflictPolicy = {
  /** Throw `WorkflowExecutionAlreadyStartedError`. */
  FAIL: 'FAIL',
  /** Start nothing and return the running run. */
  USE_EXISTING: 'USE_EXISTING',
  /** Terminate the running run, then start a new one. */
  TERMINATE_EXISTING: 'TERMINATE_EXISTING',
} as const;
export type WorkflowIdConflictPolicy =
  (typeof WorkflowIdConflictPolicy)[keyof typeof WorkflowIdConflictPolicy];
export const WorkflowIdConflictPolicySchema = z.enum(WorkflowIdConflictPolicy);
