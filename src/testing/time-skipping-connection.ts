import { ErrorCode, RepriseError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type {
  ActivityTask,
  ActivityTaskTarget,
  EngineApi,
  GetWorkflowOutcomeRequest,
  WorkflowOutcome,
} from '../transport/engine-api.ts';
import type { TimeSkippingClock } from './time-skipping-clock.ts';

/** Real time that must pass with no task out and no commit before the clock jumps. */
const QUIET_MS = 15;
/**
 * Virtual time a workflow task or query holds the clock back at most (the default workflow
 * task timeout): one its worker lost must not stop skipping for good.
 */
const WORKFLOW_TASK_HOLD_MS = 10_000;
/** How long `sleepUntil` waits (real time) for the timer loop to fire what a jump made due. */
const FIRE_WAIT_MS = 2000;

/**
 * Wraps an engine connection so that time moves as in Temporal's test server. The clock runs
 * at real pace; while a client awaits a workflow result (or the test is in `sleepUntil`) and
 * no task is out, it jumps to the next due timer. Tasks are counted as they are handed to
 * workers (polled, or handed back eagerly in an answer) until they are answered; an activity
 * task stops counting once the engine has timed its attempt out (its start-to-close,
 * schedule-to-close or heartbeat deadline passed), a workflow task or query after
 * WORKFLOW_TASK_HOLD_MS, so a worker that never answers cannot hold time back for good.
 */
export class TimeSkippingConnection {
  readonly #inner: EngineApi;
  readonly #clock: TimeSkippingClock;
  readonly #store: Store;
  /** Tasks out, by token: the clock time until which each holds time back. */
  readonly #outstanding = new Map<string, number>();
  /**
   * Activity tasks out with a heartbeat timeout, by token: their start-to-close (or
   * schedule-to-close) deadline and the timeout, for each heartbeat to push their hold on.
   */
  readonly #heartbeating = new Map<string, { closeByMs: number; timeoutMs: number }>();
  /** The token of the last task out of each activity, for the answers given by activity id. */
  readonly #tokenByActivity = new Map<string, string>();
  /** The activity of each task out, so that any answer forgets its {@link #tokenByActivity}. */
  readonly #activityByToken = new Map<string, string>();
  #lastChangeAt = Date.now();
  #skipping = 0;
  readonly api: EngineApi;

  constructor(inner: EngineApi, clock: TimeSkippingClock, store: Store) {
    this.#inner = inner;
    this.#clock = clock;
    this.#store = store;
    this.api = this.#wrap();
  }

  /** True while a client awaits a result with automatic time skipping on. */
  get skipping(): boolean {
    return this.#skipping > 0;
  }

  #touch(): void {
    this.#lastChangeAt = Date.now();
  }

  #workflowTaskOut(token: string): void {
    this.#outstanding.set(token, this.#clock.now() + WORKFLOW_TASK_HOLD_MS);
  }

  /** Held until the engine's earliest deadline for the attempt. */
  #activityTaskOut(t: ActivityTask): void {
    const key = activityKey(t.workflowNamespace, t.workflowId, t.activityId);
    this.#tokenByActivity.set(key, t.taskToken);
    this.#activityByToken.set(t.taskToken, key);
    let closeByMs = t.startedTimeMs + t.startToCloseTimeoutMs;
    if (t.scheduleToCloseTimeoutMs !== undefined) {
      closeByMs = Math.min(closeByMs, t.scheduledTimeMs + t.scheduleToCloseTimeoutMs);
    }
    const timeoutMs = t.heartbeatTimeoutMs;
    if (timeoutMs === undefined) {
      this.#outstanding.set(t.taskToken, closeByMs);
      return;
    }
    this.#heartbeating.set(t.taskToken, { closeByMs, timeoutMs });
    this.#outstanding.set(t.taskToken, Math.min(closeByMs, t.startedTimeMs + timeoutMs));
  }

  /** The token an answer names, or that of the last task out of the activity it names by id. */
  #tokenOf(req: ActivityTaskTarget): string | undefined {
    if (req.activity === undefined) return req.taskToken;
    const { namespace, workflowId, activityId } = req.activity;
    return this.#tokenByActivity.get(activityKey(namespace, workflowId, activityId));
  }

  #answered(token: string | undefined): void {
    if (token !== undefined) {
      this.#outstanding.delete(token);
      this.#heartbeating.delete(token);
      const key = this.#activityByToken.get(token);
      this.#activityByToken.delete(token);
      if (key !== undefined && this.#tokenByActivity.get(key) === token) {
        this.#tokenByActivity.delete(key);
      }
    }
    this.#touch();
  }

  #wrap(): EngineApi {
    const inner = this.#inner;
    const done = <T>(token: string | undefined, p: Promise<T>): Promise<T> =>
      p.finally(() => {
        this.#answered(token);
      });
    return {
      ...bindAll(inner),
      pollWorkflowTask: async (req, signal) => {
        const t = await inner.pollWorkflowTask(req, signal);
        if (t) this.#workflowTaskOut(t.kind === 'workflow' ? t.taskToken : t.queryId);
        this.#touch();
        return t;
      },
      pollActivityTask: async (req, signal) => {
        const t = await inner.pollActivityTask(req, signal);
        if (t) this.#activityTaskOut(t);
        this.#touch();
        return t;
      },
      // Tasks handed back eagerly in an answer are out from then on, as polled ones are.
      completeWorkflowTask: (req) =>
        done(
          req.taskToken,
          inner.completeWorkflowTask(req).then((res) => {
            for (const t of res.activityTasks ?? []) this.#activityTaskOut(t);
            return res;
          }),
        ),
      failWorkflowTask: (req) => done(req.taskToken, inner.failWorkflowTask(req)),
      respondQueryTask: (req) => done(req.queryId, inner.respondQueryTask(req)),
      completeActivityTask: (req) =>
        done(
          this.#tokenOf(req),
          inner.completeActivityTask(req).then((res) => {
            if (res.workflowTask) this.#workflowTaskOut(res.workflowTask.taskToken);
            return res;
          }),
        ),
      failActivityTask: (req) => done(this.#tokenOf(req), inner.failActivityTask(req)),
      reportActivityTaskCanceled: (req) =>
        done(this.#tokenOf(req), inner.reportActivityTaskCanceled(req)),
      // A heartbeat pushes the engine's heartbeat deadline on; one refused because the attempt
      // is over (timed out) ends the hold.
      heartbeatActivityTask: async (req) => {
        try {
          const res = await inner.heartbeatActivityTask(req);
          const token =
            req.activity === undefined
              ? req.taskToken
              : this.#tokenByActivity.get(
                  activityKey(
                    req.activity.namespace,
                    req.activity.workflowId,
                    req.activity.activityId,
                  ),
                );
          const hb = token === undefined ? undefined : this.#heartbeating.get(token);
          if (hb !== undefined && token !== undefined && this.#outstanding.has(token)) {
            const until = Math.min(hb.closeByMs, this.#clock.now() + hb.timeoutMs);
            this.#outstanding.set(token, until);
          }
          return res;
        } catch (e) {
          if (e instanceof RepriseError && e.code === ErrorCode.ActivityTaskNotFound) {
            this.#answered(this.#tokenOf(req));
          }
          throw e;
        }
      },
      getWorkflowOutcome: (req) => this.#outcomeSkippingTime(req),
    };
  }

  async #outcomeSkippingTime(req: GetWorkflowOutcomeRequest): Promise<WorkflowOutcome | undefined> {
    const deadline = Date.now() + req.waitMs;
    this.#skipping++;
    try {
      for (;;) {
        const outcome = await this.#inner.getWorkflowOutcome({ ...req, waitMs: QUIET_MS });
        if (outcome || Date.now() > deadline) return outcome;
        await this.skipIfIdle();
      }
    } finally {
      this.#skipping--;
    }
  }

  /**
   * True when no task holds time back and nothing changed for a moment: time may jump. A task
   * whose hold has passed no longer counts (the engine timed it out, or its worker is gone).
   */
  get idle(): boolean {
    if (Date.now() - this.#lastChangeAt < QUIET_MS) return false;
    const nowMs = this.#clock.now();
    for (const until of this.#outstanding.values()) if (until > nowMs) return false;
    return true;
  }

  /** Jumps the clock to the next due timer, no further than `limitMs`, if idle. */
  async skipIfIdle(limitMs = Infinity): Promise<boolean> {
    if (!this.idle) return false;
    const next = await this.#store.nextTimerDueAt();
    const to = Math.min(next ?? Infinity, limitMs);
    if (to === Infinity || to <= this.#clock.now()) return false;
    this.#clock.skipTo(to);
    this.#touch();
    return true;
  }

  /**
   * Lets time pass until the clock reads `targetMs`: at real pace while a task holds time back,
   * jumping from timer to timer (each fired before the next jump) while idle.
   */
  async sleepUntil(targetMs: number): Promise<void> {
    const store = this.#store;
    while (this.#clock.now() < targetMs) {
      if (!(await this.skipIfIdle(targetMs))) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      // Wait (real time, bounded) until the timer loop has fired what came due.
      const reached = this.#clock.now();
      const until = Date.now() + FIRE_WAIT_MS;
      for (;;) {
        const after = await store.nextTimerDueAt();
        if (after === undefined || after > reached || Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
  }
}

function bindAll(api: EngineApi): EngineApi {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(api)) {
    out[k] = typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(api) : v;
  }
  return out as unknown as EngineApi;
}

function activityKey(namespace: string, workflowId: string, activityId: string): string {
  return `${namespace}\n${workflowId}\n${activityId}`;
}
