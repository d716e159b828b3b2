import type { ScheduleOverlapPolicy } from '../protocol/schedules.ts';
import { typedSearchAttributesOf } from '../protocol/typed-search-attributes.ts';
import type { EngineApi } from '../transport/engine-api.ts';
import type { ScheduleDescriptionResponse } from '../transport/schedule-api.ts';
import {
  actionFromWire,
  actionResultFromWire,
  actionToWire,
  dateToMs,
  policiesToWire,
  specFromWire,
  specToWire,
  stateToWire,
} from './schedule-convert.ts';
import type { Backfill, ScheduleDescription, ScheduleUpdateOptions } from './schedule-types.ts';

/**
 * A handle to one schedule: `client.schedule.getHandle(id)` or what `create` returns. No request
 * is made until you call a method; each throws `ScheduleNotFoundError` if the schedule does not
 * exist (any more). Temporal's `ScheduleHandle`.
 */
export class ScheduleHandle {
  readonly scheduleId: string;
  readonly #api: EngineApi;
  readonly #namespace: string;

  constructor(api: EngineApi, namespace: string, scheduleId: string) {
    this.#api = api;
    this.#namespace = namespace;
    this.scheduleId = scheduleId;
  }

  #ref(): { namespace: string; scheduleId: string } {
    return { namespace: this.#namespace, scheduleId: this.scheduleId };
  }

  /**
   * The schedule's spec, action, policies and state, and what it did: recent actions, running
   * workflows, the next action times, counters.
   * @example const { info } = await handle.describe(); console.log(info.nextActionTimes[0]);
   */
  async describe(): Promise<ScheduleDescription> {
    return describedSchedule(await this.#api.describeSchedule(this.#ref()));
  }

  /**
   * Changes the schedule: `fn` gets its description and returns the new spec, action, policies
   * and state (fields it does not know are ignored). Spec times before the update are not run.
   * The headers its `create` interceptors set are kept, as in Temporal.
   * @example await handle.update((d) => ({ ...d, spec: { cronExpressions: ['0 9 * * *'] } }));
   */
  async update(fn: (previous: ScheduleDescription) => ScheduleUpdateOptions): Promise<void> {
    const current = await this.#api.describeSchedule(this.#ref());
    const next = fn(describedSchedule(current));
    await this.#api.updateSchedule({
      ...this.#ref(),
      spec: specToWire(next.spec),
      action: actionToWire(next.action, this.scheduleId, current.action.header),
      policies: policiesToWire(next.policies),
      state: stateToWire(next.state),
    });
  }

  /** Stops the schedule's actions until `unpause` (triggers and backfills still run). */
  async pause(note?: string): Promise<void> {
    await this.#api.patchSchedule({ ...this.#ref(), pause: note ?? 'Paused via client' });
  }

  /** Resumes the schedule's actions; times passed while paused are not run. */
  async unpause(note?: string): Promise<void> {
    await this.#api.patchSchedule({ ...this.#ref(), unpause: note ?? 'Unpaused via client' });
  }

  /**
   * Takes one action now, under `overlap` (default `ALLOW_ALL`, as in Temporal: the run is then
   * not one of the schedule's running workflows, and sees no `lastResult`). The workflow starts
   * asynchronously, within moments.
   */
  async trigger(overlap?: ScheduleOverlapPolicy): Promise<void> {
    await this.#api.patchSchedule({
      ...this.#ref(),
      trigger: { overlap: overlap ?? 'ALLOW_ALL' },
    });
  }

  /**
   * Runs the actions the spec names in each range (both ends included), as if their times had
   * come: manual actions, run even while paused and whatever the catch-up window.
   * @example await handle.backfill([{ start: new Date('2026-01-01'), end: new Date('2026-01-07'), overlap: 'ALLOW_ALL' }]);
   */
  async backfill(options: Backfill | readonly Backfill[]): Promise<void> {
    const list: readonly Backfill[] = Array.isArray(options) ? options : [options as Backfill];
    await this.#api.patchSchedule({
      ...this.#ref(),
      backfill: list.map((b) => ({
        startMs: dateToMs(b.start, 'backfill start'),
        endMs: dateToMs(b.end, 'backfill end'),
        overlap: b.overlap,
      })),
    });
  }

  /** Deletes the schedule; workflows it started keep running. */
  async delete(): Promise<void> {
    await this.#api.deleteSchedule(this.#ref());
  }
}

/** A schedule's description from its wire form. */
function describedSchedule(d: ScheduleDescriptionResponse): ScheduleDescription {
  return {
    scheduleId: d.scheduleId,
    spec: specFromWire(d.spec),
    action: actionFromWire(d.action),
    policies: {
      overlap: d.policies.overlap,
      catchupWindow: d.policies.catchupWindowMs,
      pauseOnFailure: d.policies.pauseOnFailure,
    },
    state: {
      paused: d.state.paused,
      note: d.state.note,
      remainingActions: d.state.limitedActions ? d.state.remainingActions : undefined,
    },
    info: {
      recentActions: d.info.recentActions.map(actionResultFromWire),
      nextActionTimes: d.info.nextActionTimesMs.map((t) => new Date(t)),
      runningActions: d.info.runningActions.map((r) => ({
        type: 'startWorkflow',
        workflow: { workflowId: r.workflowId, firstExecutionRunId: r.runId },
      })),
      numActionsTaken: d.info.numActionsTaken,
      numActionsMissedCatchupWindow: d.info.numActionsMissedCatchupWindow,
      numActionsSkippedOverlap: d.info.numActionsSkippedOverlap,
      createdAt: new Date(d.info.createdAtMs),
      lastUpdatedAt:
        d.info.lastUpdatedAtMs === undefined ? undefined : new Date(d.info.lastUpdatedAtMs),
    },
    memo: d.memo,
    searchAttributes: d.searchAttributes,
    typedSearchAttributes: typedSearchAttributesOf(d.searchAttributes),
  };
}
