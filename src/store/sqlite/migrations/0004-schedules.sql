-- Schedules (Temporal's): one row per schedule. spec, action, policies and state are what its
-- owner set; info is what the engine keeps (counters, running workflows, the buffer and the
-- outbox of starts). Each is a JSON object checked by a zod schema on read (schedule-rows.ts).
-- `version` is the compare-and-set token of every write; the schedule's wake-up is a row in
-- `timers`, written in the same transaction (see engine/ops/schedules/process-schedule.ts).
CREATE TABLE schedules (
  namespace TEXT NOT NULL REFERENCES namespaces (name),
  schedule_id TEXT NOT NULL,
  spec TEXT NOT NULL,
  action TEXT NOT NULL,
  policies TEXT NOT NULL,
  state TEXT NOT NULL,
  info TEXT NOT NULL,
  memo TEXT,
  search_attributes TEXT,
  -- The next time an action is due (jitter included), NULL when none: for lists and readers.
  next_action_at_ms INTEGER,
  version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, schedule_id)
) WITHOUT ROWID;
