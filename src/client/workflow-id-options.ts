// Start options the client checks or converts before they reach the engine.
import { InvalidArgumentError } from '../errors.ts';
import { normaliseSearchAttributes } from '../protocol/search-attributes.ts';
import type { SearchAttributesUpsert } from '../protocol/search-attributes.ts';

export { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '../protocol/workflow-id-policy.ts';

/** Start search attributes as the engine takes them: Dates as ISO strings. */
export function searchAttributesForStart(
  input: Readonly<Record<string, unknown>> | undefined,
): SearchAttributesUpsert | undefined {
  if (input === undefined) return undefined;
  const result = normaliseSearchAttributes(input);
  if (!result.ok) throw new InvalidArgumentError(result.message);
  return result.value;
}
