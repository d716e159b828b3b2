-- The engine processes on this file, so that one can tell when another died and take back at
-- once what it held (ADR 0012): the timers it had leased, and the tasks it had handed to workers
-- in its own process.
CREATE TABLE engine_processes (
  process_id TEXT PRIMARY KEY NOT NULL,
  -- The kernel boot and pid namespace the process ran in; NULL where that cannot be known. Only
  -- an engine with the same host key looks at the pid.
  host_key TEXT,
  pid INTEGER NOT NULL,
  -- When the kernel started the process (against pid reuse); NULL where unknown.
  pid_start TEXT,
  started_at_ms INTEGER NOT NULL,
  seen_at_ms INTEGER NOT NULL
);

-- The engine process whose timer loop holds the lease.
ALTER TABLE timers ADD COLUMN lease_owner TEXT;

-- The engine processes (space-separated) that handed one of the run's started tasks to a worker
-- of their own process; NULL when none. A copy of what the run's state says, for the query that
-- finds a dead process's tasks.
ALTER TABLE runs ADD COLUMN held_by TEXT;
