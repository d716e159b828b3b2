import type { ManualClock } from '../engine/clock.ts';
import type { Store } from '../store/store.ts';
import type {
  EngineApi,
  GetWorkflowOutcomeRequest,
  WorkflowOutcome,
} from '../transport/engine-api.ts';

/** Real time that must pass with no task out and no commit before the clock jumps. */
const QUIET_MS = 15;

/**
 * Wraps an engine connection so that time skips as in Temporal's test server: while a client
 * awaits a workflow result and no workflow or activity task is out, the manual clock jumps to
 * the next due timer. Tasks are counted as they are handed to workers (polled, or handed back
 * eagerly in an answer) and answered.
 */
export class TimeSkippingConnection {
  readonly #inner: EngineApi;
  readonly #clock: ManualClock;
  readonly #store: Store;
  readonly #outstanding = new Set<string>();
  #lastChangeAt = Date.now();
  #skipping = 0;
  readonly api: EngineApi;

  constructor(inner: EngineApi, clock: ManualClock, store: Store) {
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

  #wrap(): EngineApi {
    const inner = this.#inner;
    const out = this.#outstanding;
    const done = <T>(token: string, p: Promise<T>): Promise<T> =>
      p.finally(() => {
        out.delete(token);
        this.#touch();
      });
    return {
      ...bindAll(inner),
      pollWorkflowTask: async (req, signal) => {
        const t = await inner.pollWorkflowTask(req, signal);
        if (t) out.add(t.kind === 'workflow' ? t.taskToken : t.queryId);
        this.#touch();
        return t;
      },
      pollActivityTask: async (req, signal) => {
        const t = await inner.pollActivityTask(req, signal);
        if (t) out.add(t.taskToken);
        this.#touch();
        return t;
      },
      // Tasks handed back eagerly in an answer are out from then on, as polled ones are.
      completeWorkflowTask: (req) =>
        done(
          req.taskToken,
          inner.completeWorkflowTask(req).then((res) => {
            for (const t of res.activityTasks ?? []) out.add(t.taskToken);
            return res;
          }),
        ),
      failWorkflowTask: (req) => done(req.taskToken, inner.failWorkflowTask(req)),
      respondQueryTask: (req) => done(req.queryId, inner.respondQueryTask(req)),
      completeActivityTask: (req) =>
        done(
          req.taskToken,
          inner.completeActivityTask(req).then((res) => {
            if (res.workflowTask) out.add(res.workflowTask.taskToken);
            return res;
          }),
        ),
      failActivityTask: (req) => done(req.taskToken, inner.failActivityTask(req)),
      reportActivityTaskCanceled: (req) =>
        done(req.taskToken, inner.reportActivityTaskCanceled(req)),
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

  /** True when no task is out and nothing changed for a moment: time may jump. */
  get idle(): boolean {
    return this.#outstanding.size === 0 && Date.now() - this.#lastChangeAt >= QUIET_MS;
  }

  /** Jumps the clock to the next due timer if no task is out and nothing changed lately. */
  async skipIfIdle(): Promise<boolean> {
    if (!this.idle) return false;
    const next = await this.#store.nextTimerDueAt();
    if (next === undefined || next <= this.#clock.now()) return false;
    this.#clock.set(next);
    this.#touch();
    return true;
  }
}

function bindAll(api: EngineApi): EngineApi {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(api)) {
    out[k] = typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(api) : v;
  }
  return out as unknown as EngineApi;
}
