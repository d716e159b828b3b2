// SQL on `namespaces`.
import { namespaceFromRow } from '../../rows.ts';
import type { NamespaceRecord } from '../../store.ts';
import type { Queryable } from '../postgres-db.ts';

const COLUMNS = 'name, description, created_at_ms';

/** Creates the namespace; one that exists is left as it is. */
export async function ensureNamespace(
  tx: Queryable,
  req: { namespace: string; createdAtMs: number },
): Promise<void> {
  await tx.query(
    'INSERT INTO namespaces (name, created_at_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [req.namespace, req.createdAtMs],
  );
}

/** Creates the namespace: one that exists breaks the primary key (a unique violation). */
export async function insertNamespace(tx: Queryable, req: NamespaceRecord): Promise<void> {
  await tx.query('INSERT INTO namespaces (name, description, created_at_ms) VALUES ($1, $2, $3)', [
    req.namespace,
    req.description,
    req.createdAtMs,
  ]);
}

export async function getNamespace(
  db: Queryable,
  req: { namespace: string },
): Promise<NamespaceRecord | undefined> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM namespaces WHERE name = $1`, [
    req.namespace,
  ]);
  return rows[0] === undefined ? undefined : namespaceFromRow(rows[0]);
}

/** Every namespace, in byte order of the names (as the SQLite store's). */
export async function listNamespaces(db: Queryable): Promise<NamespaceRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM namespaces ORDER BY name COLLATE "C"`);
  return rows.map(namespaceFromRow);
}
