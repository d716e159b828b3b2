import type { Logger } from '../logger.ts';
import { HISTORY_LIMIT_DEFAULTS } from '../protocol/history-limits.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { CloseWatch } from './close-watch.ts';
import type { RecentCloses } from './recent-closes.ts';
import type { Notifier } from './notifier.ts';
import type { Peers } from './peers.ts';
import type { WaitingPollers } from './task-queues/waiting-pollers.ts';
import type { StickyQueues } from './task-queues/sticky-queues.ts';
import type { WorkerRegistrations } from './worker-registrations.ts';

/** What every engine operation gets: passed explicitly, never reached through a global. */
export interface EngineDeps {
  /**
   * This engine's record among the store's engine processes (ADR 0012): tasks it hands to the
   * workers of its process are marked held by it, and taken back at once if the process dies.
   */
  readonly processId: string;
  /**
   * Whether this engine is alone on its store (`peers.alone()`). While another engine process
   * is, a queued workflow task this process starts is committed before it is handed out:
   * deferred, its row would stay for that engine's polls.
   */
  readonly peers: Peers;
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  /** Long-polls of this process waiting for a task (sync match: engine/sync-match.ts). */
  readonly pollers: WaitingPollers;
  /** The sticky queues whose workers poll this process (engine/sticky.ts). */
  readonly stickyQueues: StickyQueues;
  /** The runs result waiters of this process wait on, checked together for closes. */
  readonly closeWatch: CloseWatch;
  /** The close events of the runs this process closed last, for result waiters. */
  readonly recentCloses: RecentCloses;
  /** Workers registered per task queue, for the checks of starts and signals. */
  readonly registrations: WorkerRegistrations;
  readonly logger: Logger;
  readonly limits: EngineLimits;
  /** Tells the timer loop that a timer due at `dueAtMs` was written. */
  readonly onTimerWritten: (dueAtMs: number) => void;
}

/**
 * Limits on what the engine accepts, with Temporal's defaults. Each "warn" threshold logs a
 * warning once per run (engine logger); each limit is a hard stop with a clear error.
 */
export interface EngineLimits {
  /** A payload (input, result, signal, …) larger than this is refused. Default 2 MiB. */
  maxPayloadBytes: number;
  /** A payload larger than this is accepted with a logged warning. Default 512 KiB. */
  payloadSizeWarnBytes: number;
  /** `workflowInfo().continueAsNewSuggested` turns true at this many events. Default 4 Ki. */
  historyCountSuggestContinueAsNew: number;
  /** …or at this many bytes of history. Default 4 MiB. */
  historySizeSuggestContinueAsNewBytes: number;
  /** Past this many events a warning is logged (once per run). Default 10 Ki. */
  historyCountWarn: number;
  /** Past this many events the run is terminated. Default 50 Ki. */
  historyCountLimit: number;
  /** Past this many bytes of history a warning is logged (once per run). Default 10 MiB. */
  historySizeWarnBytes: number;
  /** Past this many bytes of history the run is terminated. Default 50 MiB. */
  historySizeLimitBytes: number;
  /** Activities one run may have pending; a task that would exceed it fails. Default 2000. */
  maxPendingActivities: number;
  /** Child workflows one run may have pending. Default 2000. */
  maxPendingChildWorkflows: number;
  /** Signals to other workflows one run may have in flight. Default 2000. */
  maxPendingSignals: number;
  /** Cancel requests to other workflows one run may have in flight. Default 2000. */
  maxPendingCancelRequests: number;
  defaultWorkflowTaskTimeoutMs: number;
  /**
   * How long a due timer an engine took stays leased before another engine may take it (when the
   * first died before firing it). Firing twice is harmless (the second finds it stale), so it is
   * short: it bounds how long a dead engine's taken timers wait. Default 2 s.
   */
  timerLeaseMs: number;
  /** How long a query waits for a worker to answer. */
  queryTimeoutMs: number;
  /** Backoff cap between retries of a failing workflow task. */
  maxWorkflowTaskBackoffMs: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxPayloadBytes: 2 * 1024 * 1024,
  payloadSizeWarnBytes: 512 * 1024,
  historyCountSuggestContinueAsNew: HISTORY_LIMIT_DEFAULTS.suggestContinueAsNewEvents,
  historySizeSuggestContinueAsNewBytes: HISTORY_LIMIT_DEFAULTS.suggestContinueAsNewBytes,
  historyCountWarn: HISTORY_LIMIT_DEFAULTS.historyCountWarn,
  historyCountLimit: HISTORY_LIMIT_DEFAULTS.historyCountLimit,
  historySizeWarnBytes: HISTORY_LIMIT_DEFAULTS.historySizeWarnBytes,
  historySizeLimitBytes: HISTORY_LIMIT_DEFAULTS.historySizeLimitBytes,
  maxPendingActivities: 2000,
  maxPendingChildWorkflows: 2000,
  maxPendingSignals: 2000,
  maxPendingCancelRequests: 2000,
  defaultWorkflowTaskTimeoutMs: 10_000,
  timerLeaseMs: 2_000,
  queryTimeoutMs: 10_000,
  maxWorkflowTaskBackoffMs: 60_000,
};
