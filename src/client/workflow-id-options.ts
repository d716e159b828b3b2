// Start options the client checks or converts before they reach the engine.
import { InvalidArgumentError } from '../errors.ts';
import { normaliseSearchAttributes } from '../protocol/search-attributes.ts';
import type { SearchAttributesUpsert } from '../protocol/search-attributes.ts';
import { unifySearchAttributes } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributesInput } from '../protocol/typed-search-attributes.ts';

import {
  WorkflowIdConflictPolicy as ConflictPolicies,
  WorkflowIdReusePolicy as ReusePolicies,
} from '../protocol/workflow-id-policy.ts';

/**
 * What a start does when the workflow id was used by a run that is now closed: Temporal's
 * `WorkflowIdReusePolicy`, with its deprecated `WORKFLOW_ID_REUSE_POLICY_…` aliases.
 */
export const WorkflowIdReusePolicy = {
  ...ReusePolicies,
  /** @deprecated Leave the option unset (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED: undefined,
  /** @deprecated Use `ALLOW_DUPLICATE` (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE: ReusePolicies.ALLOW_DUPLICATE,
  /** @deprecated Use `ALLOW_DUPLICATE_FAILED_ONLY` (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY: ReusePolicies.ALLOW_DUPLICATE_FAILED_ONLY,
  /** @deprecated Use `REJECT_DUPLICATE` (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE: ReusePolicies.REJECT_DUPLICATE,
  /** @deprecated Use `TERMINATE_IF_RUNNING`, or rather `workflowIdConflictPolicy` (Temporal's alias). */
  WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING: ReusePolicies.TERMINATE_IF_RUNNING,
} as const;
export type WorkflowIdReusePolicy = ReusePolicies;

/**
 * What a start does when the workflow id has a running run: Temporal's
 * `WorkflowIdConflictPolicy`, with its deprecated `WORKFLOW_ID_CONFLICT_POLICY_…` aliases.
 */
export const WorkflowIdConflictPolicy = {
  ...ConflictPolicies,
  /** @deprecated Leave the option unset (Temporal's alias). */
  WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED: undefined,
  /** @deprecated Use `FAIL` (Temporal's alias). */
  WORKFLOW_ID_CONFLICT_POLICY_FAIL: ConflictPolicies.FAIL,
  /** @deprecated Use `USE_EXISTING` (Temporal's alias). */
  WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING: ConflictPolicies.USE_EXISTING,
  /** @deprecated Use `TERMINATE_EXISTING` (Temporal's alias). */
  WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING: ConflictPolicies.TERMINATE_EXISTING,
} as const;
export type WorkflowIdConflictPolicy = ConflictPolicies;

/**
 * Start search attributes as the engine takes them: Dates as ISO strings, typed ones checked
 * against their keys' types and merged over the untyped ones (a typed value wins, as in Temporal).
 */
export function searchAttributesForStart(
  input: Readonly<Record<string, unknown>> | undefined,
  typed?: TypedSearchAttributesInput,
): SearchAttributesUpsert | undefined {
  if (typed !== undefined) return unifySearchAttributes(input, typed, 'typedSearchAttributes');
  if (input === undefined) return undefined;
  const result = normaliseSearchAttributes(input);
  if (!result.ok) throw new InvalidArgumentError(result.message);
  return result.value;
}
