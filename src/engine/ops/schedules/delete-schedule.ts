import { ScheduleNotFoundError } from '../../../errors.ts';
import type { ScheduleRef } from '../../../transport/schedule-api.ts';
import type { EngineDeps } from '../../deps.ts';
import { parseRequest } from '../parse-request.ts';
import { ScheduleRefSchema } from './schedule-requests.ts';
import { scheduleTimerRef } from './schedule-writes.ts';

/**
 * Deletes a schedule and its wake-up timer in one transaction. Workflows it started keep
 * running (Temporal's behaviour). Throws `ScheduleNotFoundError` for an unknown id.
 */
export async function deleteSchedule(deps: EngineDeps, input: ScheduleRef): Promise<void> {
  const req = parseRequest(ScheduleRefSchema, input, 'delete schedule');
  const deleted = await deps.store.deleteSchedule({
    namespace: req.namespace,
    scheduleId: req.scheduleId,
    deleteTimers: [scheduleTimerRef(req.namespace, req.scheduleId)],
  });
  if (!deleted) throw new ScheduleNotFoundError(req.scheduleId, req.namespace);
}
