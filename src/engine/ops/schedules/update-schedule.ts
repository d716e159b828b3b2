import type { UpdateScheduleApiRequest } from '../../../transport/schedule-api.ts';
import type { EngineDeps } from '../../deps.ts';
import { compileSpec } from '../../schedules/schedule-spec.ts';
import { checkSearchAttributeTypes } from '../../search-attribute-registry.ts';
import { parseRequest } from '../parse-request.ts';
import {
  UpdateScheduleSchema,
  checkedAction,
  resolvePolicies,
  resolveState,
} from './schedule-requests.ts';
import { mutateSchedule } from './schedule-writes.ts';

/**
 * Replaces a schedule's spec, action, policies and state; its info (counters, recent and running
 * actions, buffered starts) is kept. As in Temporal, spec times before the update are not run
 * under the new spec. Fields the request does not know are ignored. Throws
 * `ScheduleNotFoundError` for an unknown id, `InvalidArgumentError` for a bad spec.
 */
export async function updateSchedule(
  deps: EngineDeps,
  input: UpdateScheduleApiRequest,
): Promise<void> {
  const req = parseRequest(UpdateScheduleSchema, input, 'update schedule');
  compileSpec(req.spec, req.scheduleId);
  const action = checkedAction(deps, req.scheduleId, req.action);
  const registration = await checkSearchAttributeTypes(deps.store, req.namespace, [
    { values: req.action.searchAttributes, keyTypes: req.action.searchAttributeTypes },
  ]);
  await mutateSchedule(
    deps,
    req.namespace,
    req.scheduleId,
    (s, nowMs) => {
      s.spec = req.spec;
      s.action = action;
      s.policies = resolvePolicies(req.policies);
      s.state = resolveState(req.state);
      s.info.updatedAtMs = nowMs;
      s.info.lastProcessedMs = Math.max(s.info.lastProcessedMs, nowMs);
    },
    { registerSearchAttributes: registration },
  );
}
