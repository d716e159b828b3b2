// The namespace's search attribute registry, Temporal's operator service calls
// (AddSearchAttributes, ListSearchAttributes, RemoveSearchAttributes), as `engine.searchAttributes`.
import * as z from 'zod';
import { InvalidArgumentError } from '../../errors.ts';
import { SEARCH_ATTRIBUTE_NAME, SystemSearchAttributes } from '../../protocol/search-attributes.ts';
import {
  isSystemSearchAttribute,
  reservedSearchAttributeProblem,
} from '../../protocol/search-attributes.ts';
import {
  ScheduleSearchAttributes,
  parseIndexedValueType,
  scheduleSearchAttributeType,
} from '../../protocol/search-attribute-types.ts';
import type { SearchAttributeTypes } from '../../protocol/search-attribute-types.ts';
import type {
  AddSearchAttributesRequest,
  ListSearchAttributesResponse,
  RemoveSearchAttributesRequest,
} from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import {
  forgetSearchAttributeTypes,
  registeredSearchAttributeTypes,
} from '../search-attribute-registry.ts';
import { assertNamespace } from './find-run.ts';
import { parseRequest } from './parse-request.ts';

export const AddSchema = z.object({
  namespace: z.string().min(1),
  searchAttributes: z.record(z.string(), z.string()),
});
export const RemoveSchema = z.object({
  namespace: z.string().min(1),
  searchAttributes: z.array(z.string()),
});
export const ListSchema = z.object({ namespace: z.string().min(1) });

/**
 * Refuses a name that cannot be added: one Temporal reserves (a system attribute, one a schedule
 * sets, one that starts with Temporal, …: its "is reserved by system"), or not an identifier. A
 * removal refuses only the system ones: a name Reprise took before it reserved the others may
 * still be registered, and removed.
 */
function checkName(name: string, verb: 'add' | 'remove'): void {
  const problem = nameProblem(name, verb);
  if (problem !== undefined) {
    throw new InvalidArgumentError(`Cannot ${verb} search attribute '${name}': it ${problem}.`);
  }
}

function nameProblem(name: string, verb: 'add' | 'remove'): string | undefined {
  const reserved = reservedSearchAttributeProblem(name);
  if (reserved !== undefined) {
    if (verb === 'add') return `${reserved}. Use another name for an attribute of your own`;
    if (isSystemSearchAttribute(name) || scheduleSearchAttributeType(name) !== undefined) {
      return reserved;
    }
  }
  if (!SEARCH_ATTRIBUTE_NAME.test(name)) {
    return 'is not a valid name: a search attribute name must be an identifier ([A-Za-z_][A-Za-z0-9_]*)';
  }
  return undefined;
}

/**
 * Registers custom search attributes with their types, in one transaction. A name registered
 * with the same type is left; one registered with another type is refused with
 * `InvalidArgumentError` (Temporal's rule), and nothing is registered.
 */
export async function addSearchAttributes(
  deps: EngineDeps,
  input: AddSearchAttributesRequest,
): Promise<void> {
  const req = parseRequest(AddSchema, input, 'add search attributes');
  await assertNamespace(deps, req.namespace);
  const types: SearchAttributeTypes = {};
  for (const [name, type] of Object.entries(req.searchAttributes)) {
    checkName(name, 'add');
    types[name] = parseIndexedValueType(name, type);
  }
  try {
    await deps.store.addSearchAttributes({ namespace: req.namespace, types });
  } finally {
    forgetSearchAttributeTypes(deps.store, req.namespace);
  }
}

/**
 * Removes custom search attributes from the registry, in one transaction. As in Temporal, runs
 * and schedules keep the values they hold; a later write of the name registers it again, from
 * its value. A name the namespace does not register is refused with `InvalidArgumentError`, and
 * nothing is removed.
 */
export async function removeSearchAttributes(
  deps: EngineDeps,
  input: RemoveSearchAttributesRequest,
): Promise<void> {
  const req = parseRequest(RemoveSchema, input, 'remove search attributes');
  await assertNamespace(deps, req.namespace);
  for (const name of req.searchAttributes) checkName(name, 'remove');
  try {
    await deps.store.removeSearchAttributes({
      namespace: req.namespace,
      names: req.searchAttributes,
    });
  } finally {
    forgetSearchAttributeTypes(deps.store, req.namespace);
  }
}

/** The namespace's custom search attributes with their types, and the system ones. */
export async function listSearchAttributes(
  deps: EngineDeps,
  input: { namespace: string },
): Promise<ListSearchAttributesResponse> {
  const req = parseRequest(ListSchema, input, 'list search attributes');
  await assertNamespace(deps, req.namespace);
  const registered = await registeredSearchAttributeTypes(deps.store, req.namespace);
  return {
    customAttributes: Object.fromEntries(
      [...registered].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
    systemAttributes: { ...SystemSearchAttributes, ...ScheduleSearchAttributes },
  };
}
