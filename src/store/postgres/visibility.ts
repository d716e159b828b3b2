// Visibility on PostgreSQL: list filters on runs, counts, the search attribute registry.
import { IllegalStateError } from '../../errors.ts';
import type { ListFilter } from '../../protocol/list-filter.ts';
import type { SearchAttributeTypes } from '../../protocol/search-attribute-types.ts';
import type {
  ListRunsByQueryRequest,
  RunCount,
  RunRecord,
  SearchAttributeRegistration,
} from '../store.ts';
import type { PostgresDb, Queryable } from './postgres-db.ts';

const notBuilt = (what: string) => new IllegalStateError(`${what}: not built yet`);

export async function listRunsByQuery(
  db: PostgresDb,
  req: ListRunsByQueryRequest,
): Promise<RunRecord[]> {
  throw notBuilt(`listRunsByQuery ${db.schema} ${req.namespace}`);
}

export async function countRuns(
  db: PostgresDb,
  req: { namespace: string; filter: ListFilter },
): Promise<RunCount> {
  throw notBuilt(`countRuns ${db.schema} ${req.namespace}`);
}

export async function listSearchAttributes(
  db: PostgresDb,
  req: { namespace: string },
): Promise<SearchAttributeTypes> {
  throw notBuilt(`listSearchAttributes ${db.schema} ${req.namespace}`);
}

export async function addSearchAttributes(
  db: PostgresDb,
  req: { namespace: string; types: SearchAttributeTypes },
): Promise<void> {
  throw notBuilt(`addSearchAttributes ${db.schema} ${req.namespace}`);
}

export async function removeSearchAttributes(
  db: PostgresDb,
  req: { namespace: string; names: readonly string[] },
): Promise<void> {
  throw notBuilt(`removeSearchAttributes ${db.schema} ${req.namespace}`);
}

/**
 * Registers each name not registered yet, inside the caller's transaction `tx`; throws
 * InvalidArgumentError (so the caller's write is undone) for one registered with another type.
 */
export async function registerSearchAttributeTypes(
  tx: Queryable,
  reg: SearchAttributeRegistration | undefined,
  verb = 'register',
): Promise<void> {
  if (reg === undefined) return;
  await tx.query('SELECT 1');
  throw notBuilt(`${verb} search attributes`);
}
