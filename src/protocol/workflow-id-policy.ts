// Sandbox-safe (no zod): Temporal's workflow id policies, applied when a start finds its id in use.

/** The reuse policies themselves, without Temporal's aliases: what the engine's schemas accept. */
export const REUSE_POLICIES = {
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

/** The conflict policies themselves, without Temporal's aliases. */
export const CONFLICT_POLICIES = {
  /** Throw `WorkflowExecutionAlreadyStartedError`. */
  FAIL: 'FAIL',
  /** Start nothing and return the running run. */
  USE_EXISTING: 'USE_EXISTING',
  /** Terminate the running run, then start a new one. */
  TERMINATE_EXISTING: 'TERMINATE_EXISTING',
} as const;

/**
 * What a start does when the workflow id was used by a run that is now closed. Temporal's
 * `WorkflowIdReusePolicy`, with its deprecated `WORKFLOW_ID_REUSE_POLICY_…` aliases;
 * `ALLOW_DUPLICATE` is the default.
 */
export const WorkflowIdReusePolicy = {
  ...REUSE_POLICIES,
  /** @deprecated Leave the option unset (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED: undefined,
  /** @deprecated Use `ALLOW_DUPLICATE` (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE: REUSE_POLICIES.ALLOW_DUPLICATE,
  /** @deprecated Use `ALLOW_DUPLICATE_FAILED_ONLY` (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY: REUSE_POLICIES.ALLOW_DUPLICATE_FAILED_ONLY,
  /** @deprecated Use `REJECT_DUPLICATE` (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE: REUSE_POLICIES.REJECT_DUPLICATE,
  /** @deprecated Use `workflowIdConflictPolicy: TERMINATE_EXISTING` (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING: REUSE_POLICIES.TERMINATE_IF_RUNNING,
} as const;
export type WorkflowIdReusePolicy = (typeof REUSE_POLICIES)[keyof typeof REUSE_POLICIES];

/**
 * What a start does when the workflow id has a running run. Temporal's
 * `WorkflowIdConflictPolicy`, with its deprecated `WORKFLOW_ID_CONFLICT_POLICY_…` aliases;
 * `FAIL` is the default.
 */
export const WorkflowIdConflictPolicy = {
  ...CONFLICT_POLICIES,
  /** @deprecated Leave the option unset (Temporal's alias). */
  WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED: undefined,
  /** @deprecated Use `FAIL` (Temporal's alias). */
  WORKFLOW_ID_CONFLICT_POLICY_FAIL: CONFLICT_POLICIES.FAIL,
  /** @deprecated Use `USE_EXISTING` (Temporal's alias). */
  WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING: CONFLICT_POLICIES.USE_EXISTING,
  /** @deprecated Use `TERMINATE_EXISTING` (Temporal's alias). */
  WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING: CONFLICT_POLICIES.TERMINATE_EXISTING,
} as const;
export type WorkflowIdConflictPolicy = (typeof CONFLICT_POLICIES)[keyof typeof CONFLICT_POLICIES];
