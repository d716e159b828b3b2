import { ScheduleNotFoundError } from '../../../errors.ts';
import type { ScheduleRecord } from '../../../store/store.ts';
import type { ScheduleDescriptionResponse, ScheduleRef } from '../../../transport/schedule-api.ts';
import type { EngineDeps } from '../../deps.ts';
import { futureActionTimes } from '../../schedules/schedule-decisions.ts';
import { compileStoredSpec, describedSpec } from '../../schedules/schedule-spec.ts';
import { parseRequest } from '../parse-request.ts';
import { ScheduleRefSchema } from './schedule-requests.ts';

/** A schedule as stored, with its next action times. Throws `ScheduleNotFoundError`. */
export async function describeSchedule(
  deps: EngineDeps,
  input: ScheduleRef,
): Promise<ScheduleDescriptionResponse> {
  const req = parseRequest(ScheduleRefSchema, input, 'describe schedule');
  const s = await deps.store.getSchedule(req);
  if (s === undefined) throw new ScheduleNotFoundError(req.scheduleId, req.namespace);
  return toDescription(s);
}

export function toDescription(s: ScheduleRecord): ScheduleDescriptionResponse {
  return {
    scheduleId: s.scheduleId,
    spec: describedSpec(s.spec),
    action: s.action,
    policies: s.policies,
    state: {
      paused: s.state.paused,
      note: s.state.note,
      limitedActions: s.state.limitedActions,
      remainingActions: s.state.remainingActions,
    },
    info: {
      numActionsTaken: s.info.numActionsTaken,
      numActionsMissedCatchupWindow: s.info.numActionsMissedCatchupWindow,
      numActionsSkippedOverlap: s.info.numActionsSkippedOverlap,
      recentActions: s.info.recentActions,
      runningActions: s.info.running.map((r) => ({ workflowId: r.workflowId, runId: r.runId })),
      nextActionTimesMs: futureActionTimes(s, compileStoredSpec(s)),
      createdAtMs: s.info.createdAtMs,
      lastUpdatedAtMs: s.info.updatedAtMs,
      bufferSize: s.info.buffered.length,
    },
    memo: s.memo ?? {},
    searchAttributes: s.searchAttributes ?? {},
  };
}
