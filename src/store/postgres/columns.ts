// Column lists of the PostgreSQL store's reads: the rows come back in the shapes rows.ts and
// schedule-rows.ts parse (JSON as text), JSONB columns cast back to text.

/** A `runs` row as `RunRow`. */
export const RUN_COLUMNS =
  'run_id, namespace, workflow_id, workflow_type, task_queue, status, start_time_ms, ' +
  'close_time_ms, next_event_id, version, state, search_attributes::text AS search_attributes, ' +
  'memo, execution_time_ms';

/** A `schedules` row as `ScheduleRow`. */
export const SCHEDULE_COLUMNS =
  'namespace, schedule_id, spec, action, policies, state, info, memo, ' +
  'search_attributes::text AS search_attributes, next_action_at_ms, version';
