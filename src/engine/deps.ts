import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { Notifier } from './notifier.ts';

/** What every engine operation gets: passed explicitly, never reached through a global. */
export interface EngineDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly limits: EngineLimits;
  /** Tells the timer loop that a timer due at `dueAtMs` was written. */
  readonly onTimerWritten: (dueAtMs: number) => void;
}

export interface EngineLimits {
  maxPayloadBytes: number;
  defaultWorkflowTaskTimeoutMs: number;
  /** How long a claimed task stays leased before another poller may take it. */
  taskLeaseMs: number;
  /** How long a query waits for a worker to answer. */
  queryTimeoutMs: number;
  /** Backoff cap between retries of a failing workflow task. */
  maxWorkflowTaskBackoffMs: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxPayloadBytes: 2 * 1024 * 1024,
  defaultWorkflowTaskTimeoutMs: 10_000,
  taskLeaseMs: 30_000,
  queryTimeoutMs: 10_000,
  maxWorkflowTaskBackoffMs: 60_000,
};
