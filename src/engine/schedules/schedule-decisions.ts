// The pure core of schedules: which spec times came due, what the overlap policy makes of them,
// and when to wake next. No I/O: process-schedule.ts reads, calls these, and writes.
import { randomUUID } from 'node:crypto';
import type {
  BufferedStart,
  PendingStart,
  ScheduleOverlapPolicy,
} from '../../protocol/schedules.ts';
import { InvalidArgumentError } from '../../errors.ts';
import type { ScheduleRecord } from '../../store/store.ts';
import { specCompiled } from './schedule-spec.ts';
import type { CompiledSpec } from './schedule-spec.ts';

/** The fields the decisions read and change (they mutate a copy the caller then writes). */
type ScheduleRecordFields = Pick<
  ScheduleRecord,
  'scheduleId' | 'action' | 'policies' | 'state' | 'info'
>;

/** Temporal's limits: buffered starts kept, recent actions shown, spec times handled per pass. */
export const MAX_BUFFER = 1000;
export const RECENT_ACTIONS = 10;
export const MAX_TIMES_PER_PASS = 1000;
/** How many future action times `describe()` shows. */
export const FUTURE_ACTION_COUNT = 10;
/** How long a schedule that can take no more actions is kept (Temporal's RetentionTime). */
export const IDLE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** A run's id: the action's workflow id and the nominal time in RFC 3339 seconds (Temporal's). */
export function scheduledWorkflowId(prefix: string, nominalMs: number): string {
  return `${prefix}-${rfc3339Seconds(nominalMs)}`;
}

export function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Whether a start may be taken now (Temporal's canTakeScheduledAction, without decrement). */
export function canTake(s: ScheduleRecordFields, manual: boolean): boolean {
  if (manual) return true;
  if (s.state.paused) return false;
  return !s.state.limitedActions || s.state.remainingActions > 0;
}

/**
 * Moves spec times in (lastProcessedMs, nowMs] into the buffer: while paused or out of actions
 * they are dropped (and not counted as missed: Temporal passes over them), and those past the
 * catch-up window are counted as missed. Handles at most MAX_TIMES_PER_PASS times; returns true
 * if more are due (the caller wakes again at once).
 */
export function collectDueTimes(
  s: ScheduleRecordFields,
  spec: CompiledSpec,
  nowMs: number,
): boolean {
  const info = s.info;
  for (let i = 0; i < MAX_TIMES_PER_PASS; i++) {
    const t = spec.next(info.lastProcessedMs);
    if (t === undefined || t.actualMs > nowMs) return false;
    info.lastProcessedMs = t.nominalMs;
    if (!canTake(s, false)) continue;
    if (nowMs - t.actualMs > s.policies.catchupWindowMs) {
      info.numActionsMissedCatchupWindow += 1;
      continue;
    }
    addStart(s, { nominalMs: t.nominalMs, actualMs: t.actualMs, manual: false });
  }
  return true;
}

/**
 * Passes over the spec times in (lastProcessedMs, nowMs] without taking any: an unpause drops
 * the times that passed while paused, including those the engine has not looked at yet (it was
 * down, or behind). Past MAX_TIMES_PER_PASS times, it jumps to `nowMs`.
 */
export function dropDueTimes(s: ScheduleRecordFields, spec: CompiledSpec, nowMs: number): void {
  const info = s.info;
  for (let i = 0; i < MAX_TIMES_PER_PASS; i++) {
    const t = spec.next(info.lastProcessedMs);
    if (t === undefined || t.actualMs > nowMs) return;
    info.lastProcessedMs = t.nominalMs;
  }
  info.lastProcessedMs = Math.max(info.lastProcessedMs, nowMs);
}

/** Temporal's limit on backfills waiting to be buffered. */
export const MAX_BACKFILLS = 1000;

/**
 * Queues a backfill of the spec's times in [startMs, endMs] (both included, as Temporal's):
 * {@link collectBackfills} moves them into the buffer, a part at a time. Throws
 * `InvalidArgumentError` if MAX_BACKFILLS are waiting already (Temporal's scheduler drops the
 * backfill; here the call that asked for it is refused and changes nothing).
 */
export function addBackfill(
  s: ScheduleRecordFields,
  b: { startMs: number; endMs: number; overlap?: ScheduleOverlapPolicy | undefined },
): void {
  const backfills = (s.info.backfills ??= []);
  if (backfills.length >= MAX_BACKFILLS) {
    throw new InvalidArgumentError(
      `Schedule '${s.scheduleId}' has ${String(MAX_BACKFILLS)} backfills waiting, the most it ` +
        'keeps: backfill fewer ranges in one call, or wait until describe() shows the buffer ' +
        'drained, then backfill again.',
    );
  }
  backfills.push({
    afterMs: b.startMs - 1,
    endMs: b.endMs,
    ...(b.overlap !== undefined && { overlap: b.overlap }),
  });
}

/**
 * Moves backfilled times into the buffer, oldest backfill first, until it is half full: the other
 * half is for scheduled times (Temporal's incremental backfill). A long backfill goes on in later
 * passes, as its starts leave the buffer, so none of its times is dropped.
 */
export function collectBackfills(s: ScheduleRecordFields, spec: CompiledSpec): void {
  const backfills = s.info.backfills ?? [];
  while (backfills.length > 0 && s.info.buffered.length < MAX_BUFFER / 2) {
    const b = backfills[0];
    const t = b === undefined ? undefined : spec.next(b.afterMs);
    if (b === undefined || t === undefined || t.nominalMs > b.endMs) {
      backfills.shift();
      continue;
    }
    b.afterMs = t.nominalMs;
    addStart(s, {
      nominalMs: t.nominalMs,
      actualMs: t.actualMs,
      manual: true,
      ...(b.overlap !== undefined && { overlap: b.overlap }),
    });
  }
  if (backfills.length === 0) delete s.info.backfills;
}

/** Whether backfilled times wait and the buffer has room for them: a pass moves them in. */
export function backfillsWaiting(s: ScheduleRecordFields): boolean {
  return (s.info.backfills?.length ?? 0) > 0 && s.info.buffered.length < MAX_BUFFER / 2;
}

/** Adds a start to the buffer unless the buffer is full (Temporal drops it then). */
export function addStart(s: ScheduleRecordFields, start: BufferedStart): boolean {
  if (s.info.buffered.length >= MAX_BUFFER) return false;
  s.info.buffered.push(start);
  return true;
}

export interface BufferDecision {
  /** Started regardless of what runs (ALLOW_ALL). */
  overlapping: BufferedStart[];
  /** At most one start that does not overlap a running workflow. */
  nonOverlapping: BufferedStart | undefined;
  newBuffer: BufferedStart[];
  needCancel: boolean;
  needTerminate: boolean;
  skipped: number;
}

/**
 * Applies the overlap policies to the buffer (the semantics of Temporal's processBuffer): with
 * nothing running, the first start goes; while something runs, SKIP drops, BUFFER_ONE keeps the
 * first, BUFFER_ALL keeps all, CANCEL_OTHER and TERMINATE_OTHER keep it and stop the running one.
 */
export function processBuffer(
  buffer: readonly BufferedStart[],
  isRunning: boolean,
  resolve: (p: ScheduleOverlapPolicy | undefined) => ScheduleOverlapPolicy,
): BufferDecision {
  const d: BufferDecision = {
    overlapping: [],
    nonOverlapping: undefined,
    newBuffer: [],
    needCancel: false,
    needTerminate: false,
    skipped: 0,
  };
  for (const start of buffer) {
    const policy = resolve(start.overlap);
    if (policy === 'ALLOW_ALL') {
      d.overlapping.push(start);
      continue;
    }
    if (!isRunning && d.nonOverlapping === undefined) {
      d.nonOverlapping = start;
      continue;
    }
    switch (policy) {
      case 'SKIP':
        d.skipped += 1;
        break;
      case 'BUFFER_ONE':
        if (d.newBuffer.length === 0) d.newBuffer.push(start);
        else d.skipped += 1;
        break;
      case 'BUFFER_ALL':
        d.newBuffer.push(start);
        break;
      case 'CANCEL_OTHER':
      case 'TERMINATE_OTHER':
        if (isRunning) {
          if (policy === 'CANCEL_OTHER') d.needCancel = true;
          else d.needTerminate = true;
          d.newBuffer.push(start);
        } else {
          // Nothing runs yet: it replaces the start chosen above.
          d.nonOverlapping = start;
        }
        break;
      default: {
        const never: never = policy;
        throw new TypeError(`Unknown overlap policy ${String(never)}`);
      }
    }
  }
  // A start that stops the running workflow would stop these too: don't start them.
  if (d.needCancel || d.needTerminate) d.overlapping = [];
  return d;
}

/**
 * Decides what to start now: runs the buffer through the overlap policies and moves the chosen
 * starts into the outbox (`info.starting`), decrementing remainingActions for scheduled ones.
 */
export function takeStarts(s: ScheduleRecordFields, nowMs: number): void {
  const info = s.info;
  if (info.buffered.length === 0) return;
  // ALLOW_ALL runs are not tracked (Temporal's): nothing overlaps them.
  const isRunning = info.running.length > 0 || info.starting.some((p) => p.overlapping !== true);
  const d = processBuffer(info.buffered, isRunning, (p) => p ?? s.policies.overlap);
  info.buffered = d.newBuffer;
  info.numActionsSkippedOverlap += d.skipped;
  const starts = d.overlapping.map((start) => ({ start, overlapping: true }));
  if (d.nonOverlapping !== undefined) starts.push({ start: d.nonOverlapping, overlapping: false });
  for (const { start, overlapping } of starts) {
    if (!canTake(s, start.manual)) continue;
    if (!start.manual && s.state.limitedActions) s.state.remainingActions -= 1;
    const pending: PendingStart = {
      ...start,
      workflowId: scheduledWorkflowId(s.action.workflowId, start.nominalMs),
      decidedAtMs: nowMs,
      runId: randomUUID(),
      ...(overlapping && { overlapping }),
    };
    info.starting.push(pending);
  }
  if (d.needTerminate) info.stopRunning = 'terminate';
  else if (d.needCancel && info.stopRunning === undefined) info.stopRunning = 'cancel';
}

/** The next scheduled action's due time after the last processed one, if it may be taken. */
export function nextActionAt(s: ScheduleRecordFields, spec: CompiledSpec): number | undefined {
  if (s.state.limitedActions && s.state.remainingActions <= 0) return undefined;
  return spec.next(s.info.lastProcessedMs)?.actualMs;
}

/**
 * Up to `count` next action times, and no more than the remaining actions (Temporal's
 * futureActionTimes). A paused schedule shows them too, as Temporal's does: the times it would
 * act at once unpaused.
 */
export function futureActionTimes(
  s: ScheduleRecordFields,
  spec: CompiledSpec,
  count = FUTURE_ACTION_COUNT,
): number[] {
  const n = s.state.limitedActions ? Math.min(count, s.state.remainingActions) : count;
  const out: number[] = [];
  let after = s.info.lastProcessedMs;
  while (out.length < n) {
    const t = spec.next(after);
    if (t === undefined) break;
    out.push(t.actualMs);
    after = t.nominalMs;
  }
  return out;
}

/**
 * When an idle schedule is deleted, as Temporal's scheduler closes one: IDLE_RETENTION_MS after
 * its last event (created, updated, unpaused, or its last action taken). A schedule is idle when
 * it is not paused, its spec names no further time it may act at (none left before `endAt`, or
 * `remainingActions` used up), and no start, backfill or stop waits. Undefined when it is not
 * idle. A stored spec that no longer compiles (see compileStoredSpec) keeps its schedule.
 * Migration 0010-wake-schedules-without-timer.sql computes the same time in SQL, to wake
 * schedules that were idle before this rule (the wake-up then calls this to decide).
 */
export function idleDeadline(s: ScheduleRecordFields, spec: CompiledSpec): number | undefined {
  const info = s.info;
  if (s.state.paused || !specCompiled(spec) || nextActionAt(s, spec) !== undefined)
    return undefined;
  const waiting =
    info.buffered.length > 0 ||
    info.starting.length > 0 ||
    (info.backfills?.length ?? 0) > 0 ||
    info.stopRunning !== undefined;
  if (waiting) return undefined;
  const lastEventMs = Math.max(
    info.createdAtMs,
    info.updatedAtMs ?? 0,
    info.unpausedAtMs ?? 0,
    info.recentActions.at(-1)?.takenAtMs ?? 0,
  );
  return lastEventMs + IDLE_RETENTION_MS;
}
