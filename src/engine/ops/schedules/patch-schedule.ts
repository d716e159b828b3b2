import type { PatchScheduleApiRequest } from '../../../transport/schedule-api.ts';
import type { EngineDeps } from '../../deps.ts';
import { addBackfill, addStart, dropDueTimes } from '../../schedules/schedule-decisions.ts';
import { compileStoredSpec } from '../../schedules/schedule-spec.ts';
import { parseRequest } from '../parse-request.ts';
import { PatchScheduleSchema } from './schedule-requests.ts';
import { mutateSchedule } from './schedule-writes.ts';

/**
 * Temporal's PatchSchedule: pause or unpause (with a note), trigger one action now, backfill
 * ranges. Triggered and backfilled actions are "manual": they run while paused, use up no
 * remainingActions and ignore the catch-up window; they follow the overlap policy they were given
 * (the schedule's when absent). The schedule wakes at once to act on them.
 * Throws `ScheduleNotFoundError` for an unknown id.
 */
export async function patchSchedule(
  deps: EngineDeps,
  input: PatchScheduleApiRequest,
): Promise<void> {
  const req = parseRequest(PatchScheduleSchema, input, 'patch schedule');
  const acts = req.trigger !== undefined || (req.backfill?.length ?? 0) > 0;
  await mutateSchedule(
    deps,
    req.namespace,
    req.scheduleId,
    (s, nowMs) => {
      if (req.pause !== undefined) {
        s.state.paused = true;
        s.state.note = req.pause;
      }
      if (req.unpause !== undefined) {
        if (s.state.paused) {
          dropDueTimes(s, compileStoredSpec(s), nowMs);
          // An idle schedule is kept IDLE_RETENTION_MS from here, not deleted at once.
          s.info.unpausedAtMs = nowMs;
        }
        s.state.paused = false;
        s.state.note = req.unpause;
      }
      if (req.trigger !== undefined) {
        addStart(s, {
          nominalMs: nowMs,
          actualMs: nowMs,
          manual: true,
          ...(req.trigger.overlap !== undefined && { overlap: req.trigger.overlap }),
        });
      }
      for (const b of req.backfill ?? []) addBackfill(s, b);
    },
    { wakeNow: acts },
  );
}
