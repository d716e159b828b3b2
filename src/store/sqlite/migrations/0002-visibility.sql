-- Visibility: what list and count queries read besides the run's system columns.
-- `search_attributes` and `memo` are JSON objects (NULL for runs created before this migration).
-- Custom search attributes stay in one JSON column, queried with json_each/json_extract (see
-- list-filter-sql.ts), rather than a side table with a row per attribute: a run's attributes
-- are written in the same UPDATE as its state, no second table to keep in step, and an embedded
-- store lists thousands of runs, not billions.
ALTER TABLE runs ADD COLUMN search_attributes TEXT;
ALTER TABLE runs ADD COLUMN memo TEXT;
-- When the first workflow task was due: start time plus startDelay (Temporal's ExecutionTime).
ALTER TABLE runs ADD COLUMN execution_time_ms INTEGER;

-- The default list order (open runs first, then by close time) and the common filters.
CREATE INDEX runs_by_close_time ON runs (namespace, close_time_ms, start_time_ms);
CREATE INDEX runs_by_type ON runs (namespace, workflow_type, start_time_ms);
CREATE INDEX runs_by_status ON runs (namespace, status, start_time_ms);
