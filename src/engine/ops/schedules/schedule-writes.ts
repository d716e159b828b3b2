// How every schedule operation writes: read the row, change a copy, work out when the schedule
// must wake next, and compare-and-set the row and its timer in one store transaction, re-reading
// and deciding again when another writer got there first.
import { ScheduleConflictError, ScheduleNotFoundError } from '../../../errors.ts';
import type {
  NewTimer,
  ScheduleRecord,
  SearchAttributeRegistration,
  TimerRef,
} from '../../../store/store.ts';
import { followRegistration } from '../../search-attribute-registry.ts';
import type { EngineDeps } from '../../deps.ts';
import {
  backfillsWaiting,
  idleDeadline,
  nextActionAt,
} from '../../schedules/schedule-decisions.ts';
import { compileStoredSpec } from '../../schedules/schedule-spec.ts';

/** How long a committed start may wait to be carried out before another pass retries it. */
export const OUTBOX_RETRY_MS = 10_000;
/**
 * While actions wait for a running workflow to close, the schedule also re-checks at this
 * interval, in case the close notice (a timer the closing run writes) never came: a run that
 * continued as new without the schedule's search attributes, say.
 */
export const RUNNING_RECHECK_MS = 60_000;
const MAX_ATTEMPTS = 20;

/**
 * The `timers` row that wakes a schedule (schedules have no run: the key names the schedule).
 * Migration 0010-wake-schedules-without-timer.sql writes this row, and timerFor's payload, in SQL.
 */
export function scheduleTimerRef(namespace: string, scheduleId: string): TimerRef {
  return { runId: `schedule:${namespace}:${scheduleId}`, key: 'next' };
}

/**
 * When the schedule must wake next: its next action, an unfinished outbox, a buffered start,
 * backfilled times the buffer has room for, or, idle, the time it is deleted.
 */
export function wakeAt(s: ScheduleRecord, nowMs: number, wakeNow = false): number | undefined {
  const info = s.info;
  const candidates: number[] = [];
  if (wakeNow) candidates.push(nowMs);
  // While paused the schedule still wakes at each time, to pass it by (Temporal's behaviour).
  const spec = compileStoredSpec(s);
  const next = nextActionAt(s, spec);
  if (next !== undefined) candidates.push(next);
  // Idle, it wakes to be deleted (process-schedule.ts).
  const idle = idleDeadline(s, spec);
  if (idle !== undefined) candidates.push(idle);
  if (info.starting.length > 0 || info.stopRunning !== undefined) {
    candidates.push(nowMs + OUTBOX_RETRY_MS);
  }
  if (info.buffered.length > 0) {
    candidates.push(info.running.length > 0 ? nowMs + RUNNING_RECHECK_MS : nowMs);
  }
  if (backfillsWaiting(s)) candidates.push(nowMs);
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

/** The timer row to write for a wake-up time (or the ref to delete when there is none). */
export function timerFor(
  s: ScheduleRecord,
  dueAtMs: number | undefined,
): { timers: NewTimer[]; deleteTimers: TimerRef[] } {
  const ref = scheduleTimerRef(s.namespace, s.scheduleId);
  if (dueAtMs === undefined) return { timers: [], deleteTimers: [ref] };
  return {
    timers: [
      {
        ...ref,
        dueAtMs,
        payload: { kind: 'scheduleDue', namespace: s.namespace, scheduleId: s.scheduleId },
      },
    ],
    deleteTimers: [],
  };
}

/** The next action time as stored for readers: none while paused or out of actions. */
export function nextActionAtForRow(s: ScheduleRecord): number | undefined {
  if (s.state.paused) return undefined;
  return nextActionAt(s, compileStoredSpec(s));
}

export interface MutateOptions {
  /** Wake the schedule at once after the write (it has work to look at). */
  wakeNow?: boolean | undefined;
  /** Search attributes the change introduces, registered with its write. */
  registerSearchAttributes?: SearchAttributeRegistration | undefined;
}

/**
 * Reads the schedule, lets `change` modify a copy (it may read other rows; it is called again
 * after a conflict), and writes it back with compare-and-set, with its timer set to the next
 * wake-up. Returns the schedule as written. Throws `ScheduleNotFoundError` if there is none.
 */
export async function mutateSchedule(
  deps: EngineDeps,
  namespace: string,
  scheduleId: string,
  change: (s: ScheduleRecord, nowMs: number) => void | Promise<void>,
  options: MutateOptions = {},
): Promise<ScheduleRecord> {
  for (let attempt = 1; ; attempt++) {
    const current = await deps.store.getSchedule({ namespace, scheduleId });
    if (current === undefined) throw new ScheduleNotFoundError(scheduleId, namespace);
    const next = structuredClone(current);
    const nowMs = deps.clock.now();
    await change(next, nowMs);
    const due = wakeAt(next, nowMs, options.wakeNow);
    next.nextActionAtMs = nextActionAtForRow(next);
    try {
      const reg = options.registerSearchAttributes;
      const write = deps.store.updateSchedule({
        schedule: next,
        expectedVersion: current.version,
        ...timerFor(next, due),
        ...(reg !== undefined && { registerSearchAttributes: reg }),
      });
      followRegistration(deps.store, reg, write);
      await write;
    } catch (e) {
      if (e instanceof ScheduleConflictError && attempt < MAX_ATTEMPTS) continue;
      throw e;
    }
    if (due !== undefined) deps.onTimerWritten(due);
    return { ...next, version: current.version + 1 };
  }
}
