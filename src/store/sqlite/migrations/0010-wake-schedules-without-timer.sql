-- An idle schedule is deleted 7 days after its last event, woken by its timer at that deadline
-- (idleDeadline in engine/schedules/schedule-decisions.ts). One already idle before had no timer,
-- and nothing would ever look at it again. Each schedule without its wake-up that is not paused
-- (an unpause writes one; a paused schedule is never idle) gets one at the deadline it would have,
-- its last event plus 7 days: already due for one idle longer. Whether it is idle needs its spec
-- compiled, so the engine decides when the timer fires, as for any wake-up (with the versioned
-- write of engine/ops/schedules/schedule-writes.ts): it deletes an idle one, and drops the timer
-- of one whose stored spec no longer compiles (the only other schedules without a wake-up). The
-- timer's key and payload are scheduleTimerRef's and timerFor's (schedule-writes.ts).
INSERT INTO timers (run_id, key, due_at_ms, payload)
SELECT 'schedule:' || s.namespace || ':' || s.schedule_id, 'next',
  max(
    coalesce(json_extract(s.info, '$.createdAtMs'), 0),
    coalesce(json_extract(s.info, '$.updatedAtMs'), 0),
    coalesce(json_extract(s.info, '$.unpausedAtMs'), 0),
    coalesce(json_extract(s.info, '$.recentActions[#-1].takenAtMs'), 0)
  ) + 7 * 24 * 60 * 60 * 1000,
  json_object('kind', 'scheduleDue', 'namespace', s.namespace, 'scheduleId', s.schedule_id)
FROM schedules s
WHERE NOT json_extract(s.state, '$.paused')
  AND NOT EXISTS (
    SELECT 1 FROM timers t
    WHERE t.run_id = 'schedule:' || s.namespace || ':' || s.schedule_id AND t.key = 'next'
  );
