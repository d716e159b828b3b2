// Row ⇄ domain conversion of the `schedules` table, shared by the store backends. Every JSON
// column has a zod schema and is parsed once, on read (STYLE §1.4: disk is a boundary).
import * as z from 'zod';
import {
  ScheduleActionSchema,
  ScheduleInfoSchema,
  SchedulePoliciesSchema,
  ScheduleSpecSchema,
  ScheduleStateSchema,
} from '../protocol/schedules.ts';
import { JsonObjectColumn, objectToColumn, parseJsonColumn, parseRow } from './rows.ts';
import type { ScheduleRecord } from './store.ts';

const int = z.number().int();

export const ScheduleRow = z.object({
  namespace: z.string(),
  schedule_id: z.string(),
  spec: z.string(),
  action: z.string(),
  policies: z.string(),
  state: z.string(),
  info: z.string(),
  memo: z.string().nullable(),
  search_attributes: z.string().nullable(),
  next_action_at_ms: int.nullable(),
  version: int,
});
export type ScheduleRow = z.infer<typeof ScheduleRow>;

export const SCHEDULE_COLUMNS =
  'namespace, schedule_id, spec, action, policies, state, info, memo, search_attributes, ' +
  'next_action_at_ms, version';

export function scheduleToRow(s: ScheduleRecord): ScheduleRow {
  return {
    namespace: s.namespace,
    schedule_id: s.scheduleId,
    spec: JSON.stringify(s.spec),
    action: JSON.stringify(s.action),
    policies: JSON.stringify(s.policies),
    state: JSON.stringify(s.state),
    info: JSON.stringify(s.info),
    memo: objectToColumn(s.memo),
    search_attributes: objectToColumn(s.searchAttributes),
    next_action_at_ms: s.nextActionAtMs ?? null,
    version: s.version,
  };
}

export function scheduleFromRow(row: unknown): ScheduleRecord {
  const r = parseRow(ScheduleRow, row, 'schedule');
  const where = (column: string) => `${column} of schedule '${r.schedule_id}'`;
  return {
    namespace: r.namespace,
    scheduleId: r.schedule_id,
    spec: parseJsonColumn(ScheduleSpecSchema, r.spec, where('spec')),
    action: parseJsonColumn(ScheduleActionSchema, r.action, where('action')),
    policies: parseJsonColumn(SchedulePoliciesSchema, r.policies, where('policies')),
    state: parseJsonColumn(ScheduleStateSchema, r.state, where('state')),
    info: parseJsonColumn(ScheduleInfoSchema, r.info, where('info')),
    memo: r.memo === null ? undefined : parseJsonColumn(JsonObjectColumn, r.memo, where('memo')),
    searchAttributes:
      r.search_attributes === null
        ? undefined
        : parseJsonColumn(JsonObjectColumn, r.search_attributes, where('search attributes')),
    nextActionAtMs: r.next_action_at_ms ?? undefined,
    version: r.version,
  };
}
