// Start options the client checks or converts before they reach the engine.
import { InvalidArgumentError } from '../errors.ts';
import { normaliseSearchAttributes } from '../protocol/search-attributes.ts';
import type { SearchAttributesUpsert } from '../protocol/search-attributes.ts';
import { unifySearchAttributes } from '../protocol/typed-search-attributes.ts';
import type { TypedSearchAttributesInput } from '../protocol/typed-search-attributes.ts';

export { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '../protocol/workflow-id-policy.ts';

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
