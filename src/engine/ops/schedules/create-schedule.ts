import type { CreateScheduleApiRequest } from '../../../transport/schedule-api.ts';
import type { ScheduleRecord } from '../../../store/store.ts';
import type { EngineDeps } from '../../deps.ts';
import { addBackfill, addStart } from '../../schedules/schedule-decisions.ts';
import { compileSpec } from '../../schedules/schedule-spec.ts';
import { checkSearchAttributeTypes, followRegistration } from '../../search-attribute-registry.ts';
import { assertNamespace } from '../find-run.ts';
import { parseRequest } from '../parse-request.ts';
import {
  CreateScheduleSchema,
  checkedAction,
  resolvePolicies,
  resolveState,
} from './schedule-requests.ts';
import { nextActionAtForRow, timerFor, wakeAt } from './schedule-writes.ts';

/**
 * Creates a schedule and its wake-up timer in one transaction. Spec times are counted from now:
 * earlier ones are not run (use `backfill` for that). Throws `ScheduleAlreadyRunning` if the id
 * is taken, `InvalidArgumentError` for a bad spec (naming the cron expression, calendar or time
 * zone); nothing is written then.
 */
export async function createSchedule(
  deps: EngineDeps,
  input: CreateScheduleApiRequest,
): Promise<void> {
  const req = parseRequest(CreateScheduleSchema, input, 'create schedule');
  await assertNamespace(deps, req.namespace);
  compileSpec(req.spec, req.scheduleId);
  const action = checkedAction(deps, req.scheduleId, req.action);
  // The schedule's own and its action's: both are the namespace's search attributes.
  const registration = await checkSearchAttributeTypes(deps.store, req.namespace, [
    { values: req.searchAttributes, keyTypes: req.searchAttributeTypes },
    { values: req.action.searchAttributes, keyTypes: req.action.searchAttributeTypes },
  ]);
  const nowMs = deps.clock.now();
  const schedule: ScheduleRecord = {
    namespace: req.namespace,
    scheduleId: req.scheduleId,
    spec: req.spec,
    action,
    policies: resolvePolicies(req.policies),
    state: resolveState(req.state),
    info: {
      createdAtMs: nowMs,
      lastProcessedMs: nowMs,
      numActionsTaken: 0,
      numActionsMissedCatchupWindow: 0,
      numActionsSkippedOverlap: 0,
      recentActions: [],
      running: [],
      buffered: [],
      starting: [],
    },
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    nextActionAtMs: undefined,
    version: 0,
  };
  if (req.state?.triggerImmediately === true) {
    // Under ALLOW_ALL, as Temporal's TypeScript SDK asks for it.
    addStart(schedule, { nominalMs: nowMs, actualMs: nowMs, manual: true, overlap: 'ALLOW_ALL' });
  }
  for (const b of req.state?.backfill ?? []) addBackfill(schedule, b);
  const due = wakeAt(schedule, nowMs);
  schedule.nextActionAtMs = nextActionAtForRow(schedule);
  const write = deps.store.createSchedule({
    schedule,
    timers: timerFor(schedule, due).timers,
    ...(registration !== undefined && { registerSearchAttributes: registration }),
  });
  followRegistration(deps.store, registration, write);
  await write;
  if (due !== undefined) deps.onTimerWritten(due);
}
