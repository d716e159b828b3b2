-- A run's history is stored one row per append (the events one write added, in order) instead of
-- one row per event (ADR 0009). Rows are appended at the end of the table (rowid order), so a
-- step writes one row and one index entry; keyed by (run_id, event_id), six inserts per step
-- landed in the middle of the tree and SQLite rebalanced about four pages for each.
CREATE TABLE history_batches (
  run_id TEXT NOT NULL,
  first_event_id INTEGER NOT NULL,
  last_event_id INTEGER NOT NULL,
  -- A JSON array of the whole events, first_event_id to last_event_id.
  events TEXT NOT NULL
);

-- readHistory: a run's batches in order, from the one holding the first event asked for.
CREATE UNIQUE INDEX history_batches_by_run ON history_batches (run_id, last_event_id);

INSERT INTO history_batches (run_id, first_event_id, last_event_id, events)
  SELECT run_id, event_id, event_id, '[' || data || ']' FROM history_events
  ORDER BY run_id, event_id;

DROP TABLE history_events;

-- For SQL readers (tools, ad-hoc queries): one row per event, as the table it replaces had.
CREATE VIEW history_events (run_id, event_id, type, time_ms, data) AS
  SELECT b.run_id, e.value ->> '$.eventId', e.value ->> '$.type', e.value ->> '$.timeMs', e.value
  FROM history_batches AS b, json_each(b.events) AS e;
