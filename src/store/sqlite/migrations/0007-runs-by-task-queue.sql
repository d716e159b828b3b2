-- `TaskQueue = 'orders'` (and STARTS_WITH, IN) in a list filter reads this index, as WorkflowType
-- reads runs_by_type, rather than scanning every run of the namespace.
CREATE INDEX runs_by_task_queue ON runs (namespace, task_queue, start_time_ms);
