import type { ScheduleRecord } from '../../../store/store.ts';
import type { PatchScheduleApiRequest } from '../../../transport/schedule-api.ts';
import type { EngineDeps } from '../../deps.ts';
import { addStart, dropDueTimes } from '../../schedules/schedule-decisions.ts';
import { compileStoredSpec } from '../../schedules/schedule-spec.ts';
import type { CompiledSpec } from '../../schedules/schedule-spec.ts';
import { parseRequest } from '../parse-request.ts';
import type { BackfillSchema } from './schedule-requests.ts';
import { PatchScheduleSchema } from './schedule-requests.ts';
import { mutateSchedule } from './schedule-writes.ts';
import type * as z from 'zod';

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
        if (s.state.paused) dropDueTimes(s, compileStoredSpec(s), nowMs);
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
      if (req.backfill !== undefined) {
        const spec = compileStoredSpec(s);
        for (const b of req.backfill) addBackfill(s, spec, b);
      }
    },
    { wakeNow: acts },
  );
}

/** Buffers every spec time in [startMs, endMs] (both included, as Temporal does) as manual. */
export function addBackfill(
  s: ScheduleRecord,
  spec: CompiledSpec,
  b: z.infer<typeof BackfillSchema>,
): void {
  let after = b.startMs - 1;
  for (;;) {
    const t = spec.next(after);
    if (t === undefined || t.nominalMs > b.endMs) return;
    after = t.nominalMs;
    const added = addStart(s, {
      nominalMs: t.nominalMs,
      actualMs: t.actualMs,
      manual: true,
      ...(b.overlap !== undefined && { overlap: b.overlap }),
    });
    if (!added) return; // the buffer is full (Temporal drops the rest too)
  }
}
