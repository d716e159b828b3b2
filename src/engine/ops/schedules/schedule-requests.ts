// The zod schemas of the schedule requests, parsed once at the engine's edge (contract 7).
import * as z from 'zod';
import { InvalidArgumentError } from '../../../errors.ts';
import {
  DEFAULT_CATCHUP_WINDOW_MS,
  MIN_CATCHUP_WINDOW_MS,
  ScheduleActionSchema,
  ScheduleOverlapPolicySchema,
  SchedulePoliciesSchema,
  ScheduleSpecSchema,
} from '../../../protocol/schedules.ts';
import type {
  ScheduleAction,
  SchedulePolicies,
  ScheduleState,
} from '../../../protocol/schedules.ts';
import { PriorityInputSchema } from '../../../protocol/priority-schema.ts';
import {
  SearchAttributeKeyTypes,
  SearchAttributesUpsert,
} from '../../../protocol/search-attributes.ts';
import type { SchedulePoliciesInput } from '../../../transport/schedule-api.ts';
import type { EngineDeps } from '../../deps.ts';
import { checkPayload, userMetadataProblem } from '../../payload-limits.ts';
import { checkedRequestPriority } from '../start-workflow.ts';

export const ScheduleRefSchema = z.object({
  namespace: z.string().min(1),
  scheduleId: z.string().min(1).max(1000),
});

const StateInput = z.object({
  paused: z.boolean().optional(),
  note: z.string().optional(),
  remainingActions: z.number().int().nonnegative().optional(),
  limitedActions: z.boolean().optional(),
});

export const BackfillSchema = z
  .object({
    startMs: z.number().int(),
    endMs: z.number().int(),
    overlap: ScheduleOverlapPolicySchema.optional(),
  })
  .refine((b) => b.endMs >= b.startMs, 'a backfill must not end before it starts');

/**
 * An action as a request gives it: its priority anything, checked by {@link checkedAction} so
 * that a bad one gets a start's message rather than a schema's.
 */
const ActionInputSchema = ScheduleActionSchema.extend({ priority: PriorityInputSchema.optional() });
type ActionInput = z.infer<typeof ActionInputSchema>;

// Unknown fields are stripped, not refused: `handle.update(fn)` may return the description it
// was given, with fields (info, memo…) an update does not change.
export const CreateScheduleSchema = ScheduleRefSchema.extend({
  spec: ScheduleSpecSchema,
  action: ActionInputSchema,
  policies: SchedulePoliciesSchema.partial().optional(),
  state: StateInput.extend({
    triggerImmediately: z.boolean().optional(),
    backfill: z.array(BackfillSchema).optional(),
  }).optional(),
  memo: z.record(z.string(), z.unknown()).optional(),
  searchAttributes: SearchAttributesUpsert.optional(),
  searchAttributeTypes: SearchAttributeKeyTypes.optional(),
});

export const UpdateScheduleSchema = ScheduleRefSchema.extend({
  spec: ScheduleSpecSchema,
  action: ActionInputSchema,
  policies: SchedulePoliciesSchema.partial().optional(),
  state: StateInput.optional(),
});

export const PatchScheduleSchema = ScheduleRefSchema.extend({
  pause: z.string().optional(),
  unpause: z.string().optional(),
  trigger: z.object({ overlap: ScheduleOverlapPolicySchema.optional() }).optional(),
  backfill: z.array(BackfillSchema).optional(),
});

export const ListSchedulesSchema = z.object({
  namespace: z.string().min(1),
  // Temporal's: 0 (or less) is the default page size.
  pageSize: z.number().int().max(1000).optional(),
  nextPageToken: z.string().optional(),
  query: z.string().optional(),
});

/** Policies with Temporal's defaults: SKIP, a one-year catch-up window (at least 10 s), no pause. */
export function resolvePolicies(p: SchedulePoliciesInput | undefined): SchedulePolicies {
  return {
    overlap: p?.overlap ?? 'SKIP',
    catchupWindowMs: Math.max(
      p?.catchupWindowMs ?? DEFAULT_CATCHUP_WINDOW_MS,
      MIN_CATCHUP_WINDOW_MS,
    ),
    pauseOnFailure: p?.pauseOnFailure ?? false,
  };
}

/** State from what the owner set: remainingActions implies limitedActions. */
export function resolveState(s: z.infer<typeof StateInput> | undefined): ScheduleState {
  const limitedActions = s?.limitedActions ?? s?.remainingActions !== undefined;
  return {
    paused: s?.paused ?? false,
    ...(s?.note !== undefined && { note: s.note }),
    limitedActions,
    remainingActions: limitedActions ? (s?.remainingActions ?? 0) : 0,
  };
}

/**
 * The action to store, its priority compiled. Throws `PayloadTooLarge` if its arguments or its
 * header are over the payload limit, `InvalidArgument` if its summary or details are over theirs
 * or its priority is one a start refuses (with the start's message, whatever the value's type).
 */
export function checkedAction(
  deps: EngineDeps,
  scheduleId: string,
  action: ActionInput,
): ScheduleAction {
  checkPayload(deps, `The action arguments of schedule '${scheduleId}'`, action.args);
  if (action.header) {
    checkPayload(deps, `The action header of schedule '${scheduleId}'`, action.header);
  }
  const what = `the action of schedule '${scheduleId}'`;
  const problem = userMetadataProblem(action.userMetadata, what, {
    summary: 'staticSummary',
    details: 'staticDetails',
  });
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  const { priority: given, ...rest } = action;
  const priority = checkedRequestPriority(given, what);
  return { ...rest, ...(priority !== undefined && { priority }) };
}
