-- Temporal's task priority: a queue's backlog is handed out lowest priority key first (1 is the
-- most urgent; a task whose run or activity sets none has 3, the middle of Temporal's 5 levels),
-- oldest first within a key. Tasks queued before this migration take the default.
ALTER TABLE tasks ADD COLUMN priority INTEGER NOT NULL DEFAULT 3;

-- findTasks reads this index in the order it hands tasks out; it replaces tasks_by_queue, whose
-- order (task id alone) it refines, so a task still adds one index entry.
DROP INDEX tasks_by_queue;
CREATE INDEX tasks_by_queue_priority ON tasks (namespace, task_queue, kind, priority, task_id);
