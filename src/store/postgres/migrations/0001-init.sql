-- The PostgreSQL store's schema: the same tables as the SQLite store's (its migrations 1–10 as
-- one), in PostgreSQL's types. Times are epoch milliseconds (BIGINT); JSON the store does not
-- query is TEXT, read back exactly as written; search attributes are JSONB, which list filters
-- query.

CREATE TABLE namespaces (
  name TEXT PRIMARY KEY
);

INSERT INTO namespaces (name) VALUES ('default');

CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  namespace TEXT NOT NULL REFERENCES namespaces (name),
  workflow_id TEXT NOT NULL,
  workflow_type TEXT NOT NULL,
  task_queue TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time_ms BIGINT NOT NULL,
  close_time_ms BIGINT,
  execution_time_ms BIGINT,
  next_event_id INTEGER NOT NULL,
  -- Bumped by every appendToRun: the compare-and-set token, since some changes append no event.
  version INTEGER NOT NULL DEFAULT 0,
  state TEXT,
  search_attributes JSONB,
  memo TEXT,
  -- Engine processes holding the run's started tasks, space-separated (ADR 0012).
  held_by TEXT,
  -- Insert order: breaks ties on start time (a continue-as-new in the same millisecond).
  seq BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE UNIQUE INDEX runs_running_workflow_id ON runs (namespace, workflow_id)
  WHERE status = 'Running';
CREATE INDEX runs_by_workflow_id ON runs (namespace, workflow_id, start_time_ms, seq);
CREATE INDEX runs_by_start_time ON runs (namespace, start_time_ms);
CREATE INDEX runs_by_close_time ON runs (namespace, close_time_ms, start_time_ms);
CREATE INDEX runs_by_type ON runs (namespace, workflow_type, start_time_ms);
CREATE INDEX runs_by_status ON runs (namespace, status, start_time_ms);
CREATE INDEX runs_by_task_queue ON runs (namespace, task_queue, start_time_ms);

-- One row per append (ADR 0009): a JSON array of whole events, first_event_id to last_event_id.
CREATE TABLE history_batches (
  run_id TEXT NOT NULL,
  first_event_id INTEGER NOT NULL,
  last_event_id INTEGER NOT NULL,
  events TEXT NOT NULL,
  PRIMARY KEY (run_id, last_event_id)
);

-- One row per event, for SQL readers.
CREATE VIEW history_events (run_id, event_id, type, time_ms, data) AS
  SELECT b.run_id, (e.value ->> 'eventId')::integer, e.value ->> 'type',
    (e.value ->> 'timeMs')::bigint, e.value
  FROM history_batches AS b, json_array_elements(b.events::json) AS e;

CREATE TABLE tasks (
  task_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace TEXT NOT NULL,
  task_queue TEXT NOT NULL,
  kind TEXT NOT NULL,
  run_id TEXT NOT NULL,
  scheduled_event_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  priority INTEGER NOT NULL DEFAULT 3
);

CREATE INDEX tasks_by_queue_priority ON tasks (namespace, task_queue, kind, priority, task_id);

CREATE TABLE timers (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  due_at_ms BIGINT NOT NULL,
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  -- The engine process holding the lease (ADR 0012), or NULL.
  lease_owner TEXT,
  payload TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);

CREATE INDEX timers_by_due ON timers (due_at_ms, lease_until_ms);
CREATE INDEX timers_by_available ON timers ((greatest(due_at_ms, lease_until_ms)));

CREATE TABLE worker_registrations (
  namespace TEXT NOT NULL,
  task_queue TEXT NOT NULL,
  identity TEXT NOT NULL,
  build_id TEXT,
  workflow_types TEXT NOT NULL,
  activity_types TEXT NOT NULL,
  signal_names TEXT,
  seen_at_ms BIGINT NOT NULL,
  PRIMARY KEY (namespace, task_queue, identity)
);

CREATE TABLE engine_processes (
  process_id TEXT PRIMARY KEY,
  -- The kernel boot and pid namespace the process ran in; NULL where that cannot be known. Only
  -- an engine with the same host key looks at the pid.
  host_key TEXT,
  pid INTEGER NOT NULL,
  -- When the kernel started the process (against pid reuse); NULL where unknown.
  pid_start TEXT,
  started_at_ms BIGINT NOT NULL,
  seen_at_ms BIGINT NOT NULL
);

CREATE TABLE schedules (
  namespace TEXT NOT NULL REFERENCES namespaces (name),
  schedule_id TEXT NOT NULL,
  spec TEXT NOT NULL,
  action TEXT NOT NULL,
  policies TEXT NOT NULL,
  state TEXT NOT NULL,
  info TEXT NOT NULL,
  memo TEXT,
  search_attributes JSONB,
  -- The next time an action is due (jitter included), NULL when none: for lists and readers.
  next_action_at_ms BIGINT,
  version INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, schedule_id)
);

CREATE TABLE search_attribute_types (
  namespace TEXT NOT NULL REFERENCES namespaces (name),
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  PRIMARY KEY (namespace, name)
);
