// Namespaces (Temporal's RegisterNamespace, ListNamespaces and DescribeNamespace), as
// `engine.namespaces` and `reprise namespace create|list|describe`.
import * as z from 'zod';
import { NamespaceNotFoundError } from '../../errors.ts';
import type { NamespaceRecord } from '../../store/store.ts';
import type {
  CreateNamespaceRequest,
  ListNamespacesResponse,
  NamespaceDescription,
} from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { parseRequest } from './parse-request.ts';

/** The longest namespace name `createNamespace` takes. */
export const MAX_NAMESPACE_NAME_LENGTH = 100;
/** The longest namespace description `createNamespace` takes. */
export const MAX_NAMESPACE_DESCRIPTION_LENGTH = 1_000;

/** Letters, digits, `.`, `-` and `_`, starting with a letter or a digit. */
const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_RULE =
  `a namespace name is 1 to ${MAX_NAMESPACE_NAME_LENGTH} characters: letters, digits, '.', '-' ` +
  "and '_', starting with a letter or a digit (e.g. 'billing' or 'team-a.prod')";

export const CreateSchema = z.object({
  namespace: z
    .string()
    .min(1, NAME_RULE)
    .max(MAX_NAMESPACE_NAME_LENGTH, NAME_RULE)
    .regex(NAMESPACE_NAME, NAME_RULE),
  description: z
    .string()
    .max(
      MAX_NAMESPACE_DESCRIPTION_LENGTH,
      `a description is at most ${MAX_NAMESPACE_DESCRIPTION_LENGTH} characters: shorten it`,
    )
    .optional(),
});
export const DescribeSchema = z.object({ namespace: z.string().min(1) });
export const ListSchema = z.object({});

function describedAs(record: NamespaceRecord): NamespaceDescription {
  return {
    namespace: record.namespace,
    description: record.description,
    createdAtMs: record.createdAtMs,
  };
}

/**
 * Creates a namespace, with its description, at the engine clock's now, and returns it. A name
 * outside the rule above, or a description too long, is refused with `InvalidArgumentError`; a
 * namespace of that name (made by any engine on the store) with `NamespaceAlreadyExistsError`.
 * Either way nothing changes. From its answer on, every engine on the store serves it.
 */
export async function createNamespace(
  deps: EngineDeps,
  input: CreateNamespaceRequest,
): Promise<NamespaceDescription> {
  const req = parseRequest(CreateSchema, input, 'create namespace');
  const record: NamespaceRecord = {
    namespace: req.namespace,
    description: req.description ?? '',
    createdAtMs: deps.clock.now(),
  };
  await deps.store.createNamespace(record);
  return describedAs(record);
}

/** The namespace's record; `NamespaceNotFoundError` if there is none. */
export async function describeNamespace(
  deps: EngineDeps,
  input: { namespace: string },
): Promise<NamespaceDescription> {
  const req = parseRequest(DescribeSchema, input, 'describe namespace');
  const record = await deps.store.getNamespace({ namespace: req.namespace });
  if (record === undefined) throw new NamespaceNotFoundError(req.namespace);
  return describedAs(record);
}

/** Every namespace of the store, in name order. */
export async function listNamespaces(
  deps: EngineDeps,
  input: Record<string, never>,
): Promise<ListNamespacesResponse> {
  parseRequest(ListSchema, input, 'list namespaces');
  return { namespaces: (await deps.store.listNamespaces()).map(describedAs) };
}
