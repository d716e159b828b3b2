// SQL on `history_batches`: one row per append (ADR 0009).
import type { HistoryEvent } from '../../../protocol/history-events.ts';
import { eventsFromBatch } from '../../rows.ts';
import type { Queryable } from '../postgres-db.ts';

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
