// Visibility on PostgreSQL: list filters on runs, counts, the search attribute registry.
import { InvalidArgumentError, NamespaceNotFoundError } from '../../errors.ts';
import type { ListFilter } from '../../protocol/list-filter.ts';
import { RunStatus } from '../../protocol/run-status.ts';
import type {
  IndexedValueType,
  SearchAttributeTypes,
} from '../../protocol/search-attribute-types.ts';
import { assertFilterFitsRegistry, customNames } from '../list-filter-registry.ts';
import type { FilterTarget } from '../list-filter-registry.ts';
import { SearchAttributeTypeRow, parseRow, runFromRow } from '../rows.ts';
import type {
  ListRunsByQueryRequest,
  RunCount,
  RunRecord,
  SearchAttributeRegistration,
} from '../store.ts';
import { RUN_COLUMNS } from './columns.ts';
import { listFilterToSql } from './list-filter-sql.ts';
import type { PostgresDb, Queryable } from './postgres-db.ts';

export async function listRunsByQuery(
  db: PostgresDb,
  req: ListRunsByQueryRequest,
): Promise<RunRecord[]> {
  return db.read('listRunsByQuery', async (q) => {
    await assertFilterFits(q, req.namespace, req.filter, 'runs');
    const sql = listFilterToSql(req.filter, { firstParam: 2 });
    const next = 2 + sql.params.length;
    const { rows } = await q.query(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE namespace = $1 AND ${sql.where} ` +
        `ORDER BY ${sql.orderBy} LIMIT $${String(next)} OFFSET $${String(next + 1)}`,
      [req.namespace, ...sql.params, req.limit, req.offset],
    );
    return rows.map(runFromRow);
  });
}

export async function countRuns(
  db: PostgresDb,
  req: { namespace: string; filter: ListFilter },
): Promise<RunCount> {
  return db.read('countRuns', async (q) => {
    await assertFilterFits(q, req.namespace, req.filter, 'runs');
    const sql = listFilterToSql({ ...req.filter, orderBy: [] }, { firstParam: 2 });
    const where = `FROM runs WHERE namespace = $1 AND ${sql.where}`;
    const params = [req.namespace, ...sql.params];
    if (req.filter.groupBy === undefined) {
      const { rows } = await q.query<{ n: number }>(`SELECT count(*) AS n ${where}`, params);
      return { count: rows[0]?.n ?? 0, groups: [] };
    }
    const { rows } = await q.query<{ status: string; n: number }>(
      `SELECT status, count(*) AS n ${where} GROUP BY status`,
      params,
    );
    const groups = Object.values(RunStatus).flatMap((status) => {
      const row = rows.find((r) => r.status === status);
      return row === undefined ? [] : [{ status, count: row.n }];
    });
    return { count: groups.reduce((sum, g) => sum + g.count, 0), groups };
  });
}

/**
 * Refuses a filter that names a custom attribute the namespace does not register, or tests one
 * with an operator its type does not take (list-filter-registry.ts). Reads only the names the
 * filter uses: none, for most lists.
 */
export async function assertFilterFits(
  q: Queryable,
  namespace: string,
  filter: ListFilter,
  target: FilterTarget,
): Promise<void> {
  const names = customNames(filter);
  const held = new Map<string, string>();
  if (names.length > 0) {
    const { rows } = await q.query<{ name: string; type: string }>(
      'SELECT name, type FROM search_attribute_types WHERE namespace = $1 AND name = ANY($2::text[])',
      [namespace, names],
    );
    for (const row of rows) held.set(row.name, row.type);
  }
  assertFilterFitsRegistry(
    (name) => {
      const type = held.get(name);
      return type === undefined ? undefined : registeredType(namespace, { name, type });
    },
    namespace,
    filter,
    target,
  );
}

export async function listSearchAttributes(
  db: PostgresDb,
  req: { namespace: string },
): Promise<SearchAttributeTypes> {
  return db.read('listSearchAttributes', async (q) => {
    const { rows } = await q.query<{ name: string; type: string }>(
      'SELECT name, type FROM search_attribute_types WHERE namespace = $1 ORDER BY name COLLATE "C"',
      [req.namespace],
    );
    const types: SearchAttributeTypes = {};
    for (const row of rows) types[row.name] = registeredType(req.namespace, row);
    return types;
  });
}

export async function addSearchAttributes(
  db: PostgresDb,
  req: { namespace: string; types: SearchAttributeTypes },
): Promise<void> {
  await db.write(
    {
      operation: 'addSearchAttributes',
      onForeignKeyViolation: () => new NamespaceNotFoundError(req.namespace),
    },
    (tx) => registerSearchAttributeTypes(tx, req, 'add'),
  );
}

export async function removeSearchAttributes(
  db: PostgresDb,
  req: { namespace: string; names: readonly string[] },
): Promise<void> {
  await db.write('removeSearchAttributes', async (tx) => {
    // One name at a time, as the SQLite store: a name given twice is not registered the second
    // time, and is refused.
    for (const name of req.names) {
      const { rowCount } = await tx.query(
        'DELETE FROM search_attribute_types WHERE namespace = $1 AND name = $2',
        [req.namespace, name],
      );
      if ((rowCount ?? 0) === 0) {
        throw new InvalidArgumentError(
          `Cannot remove search attribute '${name}': namespace '${req.namespace}' does not ` +
            'register it (searchAttributes.list shows those it does).',
        );
      }
    }
  });
}

/**
 * Registers each name not registered yet, inside the caller's transaction `tx`; throws
 * InvalidArgumentError (so the caller's write is undone) for one registered with another type:
 * the first such name in `reg.types`' order, with the SQLite store's message. A registration in
 * a namespace that does not exist is a foreign key violation, which the caller translates.
 * Two round trips, however many names.
 */
export async function registerSearchAttributeTypes(
  tx: Queryable,
  reg: SearchAttributeRegistration | undefined,
  verb = 'register',
): Promise<void> {
  if (reg === undefined) return;
  const entries = Object.entries(reg.types);
  if (entries.length === 0) return;
  const names = entries.map(([name]) => name);
  // In name order, so that two registrations of the same names wait for each other's rows
  // instead of deadlocking; a row another transaction is inserting is waited for, then left.
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await tx.query(
    'INSERT INTO search_attribute_types (namespace, name, type) ' +
      'SELECT $1::text, name, type FROM unnest($2::text[], $3::text[]) ' +
      'WITH ORDINALITY AS t(name, type, i) ORDER BY i ON CONFLICT DO NOTHING',
    [reg.namespace, sorted.map(([name]) => name), sorted.map(([, type]) => type)],
  );
  // READ COMMITTED: this statement sees the rows committed before it, and this one's own.
  const { rows } = await tx.query<{ name: string; type: string }>(
    'SELECT name, type FROM search_attribute_types WHERE namespace = $1 AND name = ANY($2::text[])',
    [reg.namespace, names],
  );
  const held = new Map(rows.map((r) => [r.name, r.type]));
  for (const [name, type] of entries) {
    const heldType = held.get(name);
    if (heldType === type) continue;
    throw new InvalidArgumentError(
      `Cannot ${verb} search attribute '${name}' as ${type}: it is registered as ` +
        `${heldType ?? 'another type'} in namespace '${reg.namespace}'. Use a value of that type, ` +
        'or another name.',
    );
  }
}

/** A search_attribute_types row's type, checked: a bad row is a CorruptRowError. */
function registeredType(namespace: string, row: { name: string; type: string }): IndexedValueType {
  const where = `type of search attribute '${row.name}' in namespace '${namespace}'`;
  return parseRow(SearchAttributeTypeRow, row, where).type;
}
