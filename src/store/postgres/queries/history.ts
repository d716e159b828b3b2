// SQL on `history_batches`: one row per append (ADR 0009).
import type { HistoryEvent } from '../../../protocol/history-events.ts';
import { eventsFromBatch, eventsToBatchRow } from '../../rows.ts';
import type { Queryable } from '../postgres-db.ts';

/** Writes one append's events as one row; none for no events. */
export async function insertEvents(
  tx: Queryable,
  runId: string,
  events: readonly HistoryEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const row = eventsToBatchRow(runId, events);
  await tx.query(
    'INSERT INTO history_batches (run_id, first_event_id, last_event_id, events) ' +
      'VALUES ($1, $2, $3, $4)',
    [row.run_id, row.first_event_id, row.last_event_id, row.events],
  );
}

/** The run's events from `fromEventId` on, in order: the batches that hold them. */
export async function readHistory(
  db: Queryable,
  runId: string,
  fromEventId: number,
): Promise<HistoryEvent[]> {
  const { rows } = await db.query<{ events: string }>(
    'SELECT events FROM history_batches WHERE run_id = $1 AND last_event_id >= $2 ' +
      'ORDER BY last_event_id',
    [runId, fromEventId],
  );
  return rows.flatMap((row) => eventsFromBatch(row.events, runId, fromEventId));
}
