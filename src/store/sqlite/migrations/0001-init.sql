-- Reprise SQLite schema, version 1. Never edit once released: add 0002-*.sql instead.

CREATE TABLE namespaces (
  name TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;

INSERT INTO namespaces (name) VALUES ('default');

-- One row per run. `state` is the engine's JSON state of the run (NULL when undefined).
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY NOT NULL,
  namespace TEXT NOT NULL REFERENCES namespaces (name),
  workflow_id TEXT NOT NULL,
  workflow_type TEXT NOT NULL,
  task_queue TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time_ms INTEGER NOT NULL,
  close_time_ms INTEGER,
  next_event_id INTEGER NOT NULL,
  -- Bumped by every appendToRun: the compare-and-set token, since some changes append no event.
  version INTEGER NOT NULL DEFAULT 0,
  state TEXT
);

-- At most one Running run per workflow id: createRun relies on this to refuse a second start.
CREATE UNIQUE INDEX runs_running_workflow_id ON runs (namespace, workflow_id)
  WHERE status = 'Running';

-- Ascending on purpose: scanned backwards, ties on start time come out newest rowid first.
CREATE INDEX runs_by_workflow_id ON runs (namespace, workflow_id, start_time_ms);
CREATE INDEX runs_by_start_time ON runs (namespace, start_time_ms);

-- `data` is the JSON of the whole event; `type` and `time_ms` are copies for SQL readers.
CREATE TABLE history_events (
  run_id TEXT NOT NULL REFERENCES runs (run_id),
  event_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (run_id, event_id)
) WITHOUT ROWID;

-- AUTOINCREMENT: a task id is never reused, so deleting a stale id cannot hit a newer task.
CREATE TABLE tasks (
  task_id INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace TEXT NOT NULL,
  task_queue TEXT NOT NULL,
  kind TEXT NOT NULL,
  run_id TEXT NOT NULL,
  scheduled_event_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  lease_until_ms INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX tasks_by_queue ON tasks (namespace, task_queue, kind, task_id);

CREATE TABLE timers (
  run_id TEXT NOT NULL,
  key TEXT NOT NULL,
  due_at_ms INTEGER NOT NULL,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- takeDueTimers: due timers in due order, lease checked from the index alone.
CREATE INDEX timers_by_due ON timers (due_at_ms, lease_until_ms);
-- nextTimerDueAt: the earliest time any timer may be taken, without scanning sleeping timers.
CREATE INDEX timers_by_available ON timers (max(due_at_ms, lease_until_ms));

CREATE TABLE worker_registrations (
  namespace TEXT NOT NULL,
  task_queue TEXT NOT NULL,
  identity TEXT NOT NULL,
  build_id TEXT,
  workflow_types TEXT NOT NULL,
  activity_types TEXT NOT NULL,
  signal_names TEXT,
  seen_at_ms INTEGER NOT NULL,
  PRIMARY KEY (namespace, task_queue, identity)
) WITHOUT ROWID;
