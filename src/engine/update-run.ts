import {
  IllegalStateError,
  RunConflictError,
  TaskNotFoundError,
  WorkflowNotFoundError,
} from '../errors.ts';
import type { HistoryEvent, NewHistoryEvent } from '../protocol/history-events.ts';
import { RunStatus, isTerminal } from '../protocol/run-status.ts';
import type { Priority } from '../protocol/priority.ts';
import type { TaskKind, TimerPayload } from '../protocol/tasks.ts';
import type {
  AppendToRunRequest,
  CreateRunRequest,
  NewTask,
  NewTimer,
  SearchAttributeRegistration,
} from '../store/store.ts';
import { onRunClosed } from './close-effects.ts';
import type { EngineDeps } from './deps.ts';
import { KeyedMutex } from '../util/semaphore.ts';
import { RunCache } from './run-cache.ts';
import type { CachedRecord } from './run-cache.ts';
import { committed, handOver, matchNewRun, matchWaitingPollers, release } from './sync-match.ts';
import { runClosedKey, runKey, taskKey } from './notifier.ts';
import { enforceHistoryLimits } from './run-limits.ts';
import { STATE_TIMERS_KEY, isStateTimerKey, workflowTaskTimerKey } from './timer-keys.ts';
import { applyEvent, holdersOf, isWorkflowVisible, parseRunState } from './run-state.ts';
import type { RunState } from './run-state.ts';
import { readAheadOf } from './task-queues/read-ahead.ts';
import { holdAcksUntil } from './task-queues/uncommitted-acks.ts';
import type { StickyQueues } from './task-queues/sticky-queues.ts';
import { followRegistration } from './search-attribute-registry.ts';

/**
 * THE ONE DOOR through which history is written (STYLE.md §1.2). An operation decides what
 * happens to a run through a {@link RunTx}; `updateRun` loads the run, lets it decide, and
 * commits events, tasks and timers in one store transaction guarded by the run's next event id
 * (DESIGN contract 1: two writers racing cannot both succeed; the loser re-reads and decides
 * again). Test: test/contract/1-exactly-once-transitions.test.ts.
 */
export function updateRun<T>(
  deps: EngineDeps,
  runId: string,
  decide: (tx: RunTx) => T,
): Promise<T> {
  // Writers to one run in this process take turns, so they do not race each other to a
  // conflict; the compare-and-set still settles races with other engine processes.
  return runLocks.run(runId, () => updateRunUnlocked(deps, runId, decide));
}

/** {@link updateRun} for a run that may be gone (a stale task): 'missing' then, deciding nothing. */
export function updateRunIfExists<T>(
  deps: EngineDeps,
  runId: string,
  decide: (tx: RunTx) => T,
): Promise<T | 'missing'> {
  return runLocks.run(runId, () => updateRunUnlocked(deps, runId, decide, true));
}

/**
 * {@link updateRun} for the run a task token names. A run that does not exist (a token made up,
 * or from another store) is the task not found, as a stale task is: the worker drops its answer.
 */
export function updateTaskRun<T>(
  deps: EngineDeps,
  kind: TaskKind,
  runId: string,
  decide: (tx: RunTx) => T,
): Promise<T> {
  return updateRunIfExists(deps, runId, decide).then((out) => {
    if (out !== 'missing') return out;
    throw new TaskNotFoundError(
      kind === 'workflow' ? 'WorkflowTaskNotFound' : 'ActivityTaskNotFound',
      `Run ${runId}, named by this ${kind} task token, does not exist; the answer was not recorded. ` +
        'Pass the taskToken exactly as the task gave it, to an engine on the store that holds the run.',
    );
  });
}

const runLocks = new KeyedMutex();
const MAX_CONFLICT_RETRIES = 50;

async function updateRunUnlocked<T>(
  deps: EngineDeps,
  runId: string,
  decide: (tx: RunTx) => T,
): Promise<T>;
async function updateRunUnlocked<T>(
  deps: EngineDeps,
  runId: string,
  decide: (tx: RunTx) => T,
  mayBeMissing: true,
): Promise<T | 'missing'>;
async function updateRunUnlocked<T>(
  deps: EngineDeps,
  runId: string,
  decide: (tx: RunTx) => T,
  mayBeMissing = false,
): Promise<T | 'missing'> {
  const cache = RunCache.of(deps.store);
  for (let attempt = 1; ; attempt++) {
    const cached = cache.get(runId);
    const stored = cached ? undefined : await deps.store.getRun({ runId });
    const record: CachedRecord | undefined = cached?.record ?? stored;
    if (!record) {
      if (mayBeMissing) return 'missing';
      throw new IllegalStateError(`Run ${runId} does not exist.`);
    }
    const tx = new RunTx(
      record,
      deps.clock.now(),
      // A stored row's state is checked against the schema; the cache's is one this process
      // made (a decision's, or a new run's).
      cached ? (JSON.parse(cached.stateJson) as RunState) : parseRunState(stored?.state),
    );
    tx.heldBy = deps.processId;
    tx.stickyQueues = deps.stickyQueues;
    tx.rowCommitted = cached?.pending === undefined;
    let out: T;
    try {
      out = decide(tx);
    } catch (e) {
      // A refusal decided on this process's cached row: decide again if another engine process
      // has moved the run on since (the row would have failed the compare-and-set). Otherwise
      // the cached row stays: it may be ahead of the store (a deferred write not committed yet),
      // and the decision worked on a copy of it.
      if (cached && (await movedOn(deps, cached.record))) {
        cache.delete(runId);
        continue;
      }
      throw e;
    }
    if (!tx.changed) {
      // Likewise a decision that changed nothing: on the stored row it might not have.
      if (cached && (await movedOn(deps, cached.record))) {
        cache.delete(runId);
        continue;
      }
      return out;
    }
    // History limits: warn once per run, then terminate (test/e2e/limits.test.ts).
    const warnings = enforceHistoryLimits(tx, deps.limits);
    tx.finish(deps.limits.defaultWorkflowTaskTimeoutMs);
    tx.afterFinish?.();
    const matches = matchWaitingPollers(deps, tx);
    const successor = tx.successor && { ...matchNewRun(deps, tx.successor), tx: tx.successor.tx };
    const deferred =
      tx.deferCommit &&
      matches.length === 0 &&
      successor === undefined &&
      tx.isRunning &&
      cached?.tail !== undefined;
    let stateJson: string;
    try {
      stateJson = JSON.stringify(tx.state);
    } catch (e) {
      // State that is not JSON (applyEvent's size check refuses such payloads before this): as a
      // failed write, the matched polls poll again.
      release(matches);
      if (successor !== undefined) release(successor.matches);
      throw e;
    }
    const request: AppendToRunRequest = {
      runId,
      expectedNextEventId: record.nextEventId,
      expectedVersion: record.version,
      events: tx.events,
      status: tx.state.status,
      closeTimeMs: tx.state.closeTimeMs,
      nextEventId: tx.state.nextEventId,
      state: tx.state,
      stateJson,
      tasks: tx.tasks,
      timers: tx.timers,
      deleteTimerKeys: tx.deletedTimerKeys,
      firedTimer: tx.firedTimer,
      deleteTaskIds: tx.ackedTaskIds,
      heldBy: holdersOf(tx.state),
      // Visibility copies for list queries, kept in step with the state on every write.
      searchAttributes: tx.state.searchAttributes,
      memo: tx.state.memo,
      ...(successor !== undefined && { createRun: successor.request }),
      ...(tx.registerSearchAttributes !== undefined && {
        registerSearchAttributes: tx.registerSearchAttributes,
      }),
      ...(deferred && { linger: true }),
      ...(cached?.pending !== undefined && { after: cached.pending }),
    };
    const write = deps.store.appendToRun(request);
    followRegistration(deps.store, request.registerSearchAttributes, write);
    if (deferred) {
      cache.set(committedRecord(record, tx.state), tx.state, stateJson, tx.events, cached, request);
      holdAcksUntil(deps.store, tx.ackedTaskIds, write);
      write.then(
        () => {
          cache.committed(runId, request);
          afterCommit(deps, tx);
          for (const w of warnings) deps.logger.warn(w.attrs, w.message);
        },
        (e: unknown) => {
          // The next write built on this one fails its compare-and-set too, and re-reads.
          cache.delete(runId);
          // Only a lost race is decided again: an error of the store itself may repeat, and a
          // first answer decided again would be deferred again (ADR 0013); its timeouts apply.
          if (tx.decideAgainIfLost !== undefined && e instanceof RunConflictError) {
            decideAgain(deps, runId, tx.decideAgainIfLost);
            return;
          }
          deps.logger.warn(
            { runId, err: e },
            'A deferred write to the run was not committed; the writes that followed it will re-read the run.',
          );
        },
      );
      return out;
    }
    try {
      await write;
    } catch (e) {
      cache.delete(runId);
      release(matches);
      if (successor !== undefined) release(successor.matches);
      if (!(e instanceof RunConflictError) || attempt >= MAX_CONFLICT_RETRIES) throw e;
      // The cached row was stale: read the run and decide again at once. Otherwise another
      // engine process won the race: back off a little, with jitter, and decide again.
      if (cached) continue;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempt, 50)));
      continue;
    }
    cache.set(committedRecord(record, tx.state), tx.state, stateJson, tx.events, cached);
    afterCommit(deps, tx);
    handOver(deps, matches);
    if (successor !== undefined)
      committed(deps, successor.request, successor.tx, successor.matches);
    for (const w of warnings) deps.logger.warn(w.attrs, w.message);
    return out;
  }
}

/** A deferred write lost a race (RunTx.decideAgainIfLost): decided again, in the background. */
function decideAgain(deps: EngineDeps, runId: string, again: () => Promise<unknown>): void {
  again().catch((err: unknown) => {
    // The attempt moved on meanwhile (timed out, retried, its run closed): expected.
    if (err instanceof TaskNotFoundError || err instanceof WorkflowNotFoundError) {
      deps.logger.info({ runId, err }, 'A deferred write lost a race; it no longer applies.');
      return;
    }
    deps.logger.warn(
      { runId, err },
      'A deferred write lost a race with another engine process, and deciding it again failed; its timeouts apply.',
    );
  });
}

/**
 * True when the stored row is newer than `cached`, i.e. another engine process wrote the run.
 * A cached row ahead of the store (this process's write still in its group commit) is not.
 */
async function movedOn(deps: EngineDeps, cached: CachedRecord): Promise<boolean> {
  const stored = await deps.store.getRun({ runId: cached.runId });
  return stored !== undefined && stored.version > cached.version;
}

/** The run's row once a decision from `record` that left `state` is committed. */
function committedRecord(record: CachedRecord, state: RunState): CachedRecord {
  return {
    ...record,
    status: state.status,
    closeTimeMs: state.closeTimeMs,
    nextEventId: state.nextEventId,
    version: record.version + 1,
  };
}

/** Wake-ups after a commit: only hints, never needed for correctness. */
export function afterCommit(
  deps: EngineDeps,
  tx: {
    tasks: readonly NewTask[];
    timers: readonly NewTimer[];
    events: readonly HistoryEvent[];
    runId: string;
    readonly isRunning: boolean;
  },
): void {
  const ahead = readAheadOf(deps.store);
  for (const t of tx.tasks) {
    deps.notifier.notify(taskKey(t.namespace, t.taskQueue, t.kind));
    ahead.queued(t);
  }
  let earliest: number | undefined;
  for (const t of tx.timers)
    if (earliest === undefined || t.dueAtMs < earliest) earliest = t.dueAtMs;
  if (earliest !== undefined) deps.onTimerWritten(earliest);
  deps.notifier.notify(runKey(tx.runId));
  if (!tx.isRunning) {
    const close = tx.events.at(-1);
    if (close !== undefined) deps.recentCloses.add(tx.runId, close);
    deps.notifier.notify(runClosedKey(tx.runId));
  }
}

/**
 * One decision about one run: events to append (ids and times assigned here, state updated
 * through {@link applyEvent}), tasks to enqueue, timers to set or delete, tasks to acknowledge.
 */
export class RunTx {
  readonly state: RunState;
  readonly nowMs: number;
  readonly runId: string;
  readonly events: HistoryEvent[] = [];
  readonly tasks: NewTask[] = [];
  readonly timers: NewTimer[] = [];
  readonly deletedTimerKeys: string[] = [];
  /** The timer row this decision fired ({@link deleteFiredTimer}). */
  firedTimer: { key: string; dueAtMs: number } | undefined;
  readonly ackedTaskIds: number[] = [];
  /** The run this one continues as (continue-as-new), created in the same transaction. */
  successor: { request: CreateRunRequest; tx: RunTx } | undefined;
  /** Runs once the decision is finished (the workflow task it implies scheduled), pre-commit. */
  afterFinish: (() => void) | undefined;
  /**
   * The decision's answer does not need this write to be durable yet, because the run's next
   * write follows soon and carries it: an activity result whose workflow task went straight
   * back to the worker, or a queued workflow task a poll of this process starts, whose answer
   * commits both (at once); or a run's first answer, on a committed row, that only starts one
   * activity for its worker, which commits with that activity's result (once the activity has
   * run; ADR 0013). `updateRun` then returns once the write is queued and this process's run
   * cache holds it, and the store may hold the write back (up to its linger window) to share the
   * next write's transaction: one commit per step instead of two. Readers of the store see
   * nothing of it before that commit; a crash before it loses the write as if it never came (the
   * activity attempt times out and runs again; the task row, not yet deleted, is found again;
   * the answer's workflow task is given out again). Task rows the write deletes stay passed over
   * by this process's polls until it commits. Ignored, and the write awaited, when the decision
   * hands tasks to waiting polls, creates a run, closes this one, or the cache cannot serve the
   * run's next workflow task.
   */
  deferCommit = false;
  /**
   * With {@link deferCommit}: what to do if the deferred write loses its compare-and-set to
   * another engine process's write to the run (or was decided on a write that did). A write
   * that carries something from outside — an activity's result — decides it again on a fresh
   * read, instead of losing it until the attempt times out and runs again; a lost answer (ADR
   * 0013) times its workflow task out at once, so that the task is given out again rather than
   * after its timeout.
   */
  decideAgainIfLost: (() => Promise<unknown>) | undefined;
  /**
   * The row this decision starts from is committed: no write of this process to the run waits
   * in the store (a lingering one, {@link deferCommit}). What the decision appends then follows
   * only from durable history and its own input.
   */
  rowCommitted = true;
  /**
   * The engine process whose workers get the tasks this decision starts (ADR 0012): this one,
   * since every worker reaches the engine in its own process today. A transport for workers in
   * other processes must leave it undefined for their polls.
   */
  heldBy: string | undefined;
  /**
   * Whether a run's next workflow task goes to its worker's sticky queue (StickyQueues.routes;
   * engine/sticky.ts).
   */
  stickyQueues: Pick<StickyQueues, 'routes'> | undefined;
  /** Search attributes the decision's commands introduce, registered with its write. */
  registerSearchAttributes: SearchAttributeRegistration | undefined;
  #changed = false;
  #wake = false;

  constructor(record: { readonly runId: string }, nowMs: number, state: RunState) {
    this.state = state;
    this.nowMs = nowMs;
    this.runId = record.runId;
  }

  get changed(): boolean {
    return this.#changed;
  }

  get isRunning(): boolean {
    return !isTerminal(this.state.status);
  }

  /** Appends one event; an event the workflow must see makes sure a workflow task follows. */
  append<E extends NewHistoryEvent>(e: E): E & { eventId: number; timeMs: number } {
    if (isTerminal(this.state.status)) {
      throw new IllegalStateError(`Run ${this.runId} is closed; cannot append ${e.type}.`);
    }
    this.#writeSpeculativeTask();
    const full = { ...e, eventId: this.state.nextEventId, timeMs: this.nowMs } as E & {
      eventId: number;
      timeMs: number;
    };
    applyEvent(this.state, full);
    this.events.push(full);
    this.#changed = true;
    if (isTerminal(this.state.status)) {
      this.#dropStateTimers();
      onRunClosed(this, full);
    }
    if (isWorkflowVisible(e.type)) this.#wake = true;
    return full;
  }

  /**
   * Before any other event, a speculative workflow task's events go to history as the worker saw
   * them (engine/speculative-task.ts); whether more events wait for the workflow is kept.
   */
  #writeSpeculativeTask(): void {
    const spec = this.state.workflowTask?.speculative;
    if (spec === undefined) return;
    const waiting = this.state.eventsWhileTaskStarted;
    const { heldBy, startId, stickyQueue } = this.state.workflowTask ?? {};
    delete this.state.workflowTask?.speculative;
    for (const e of spec.started === undefined
      ? [spec.scheduled]
      : [spec.scheduled, spec.started]) {
      applyEvent(this.state, e);
      this.events.push(e);
    }
    this.state.eventsWhileTaskStarted = waiting;
    // Applying the events made a new task record: it is still the one its worker holds.
    const wt = this.state.workflowTask;
    if (wt !== undefined && heldBy !== undefined) wt.heldBy = heldBy;
    if (wt !== undefined && startId !== undefined) wt.startId = startId;
    if (wt !== undefined && stickyQueue !== undefined) wt.stickyQueue = stickyQueue;
    this.#changed = true;
  }

  /** Marks a change to state that no event records (attempts, heartbeats). */
  touch(): void {
    this.#changed = true;
  }

  /** Whether a workflow task is asked for after this decision (see {@link finish}). */
  get wakesWorkflow(): boolean {
    return this.#wake;
  }

  /** Asks for a workflow task after this decision (see {@link finish}). */
  wakeWorkflow(): void {
    this.#wake = true;
    this.#changed = true;
  }

  /**
   * Queues a task; `priority` (the run's, for a workflow task; the activity's, for an activity
   * task) orders it in its queue's backlog.
   */
  enqueue(
    kind: TaskKind,
    taskQueue: string,
    scheduledEventId: number,
    attempt: number,
    priority: Priority | undefined,
  ): void {
    const task: NewTask = {
      namespace: this.state.namespace,
      taskQueue,
      kind,
      runId: this.runId,
      scheduledEventId,
      attempt,
    };
    if (priority?.priorityKey !== undefined) task.priority = priority.priorityKey;
    this.tasks.push(task);
    this.#changed = true;
  }

  /**
   * Sets (or replaces) the run's timer `key`. The run's own timers (timer-keys.ts,
   * isStateTimerKey) live in its state, and one row wakes the run at or before the earliest:
   * the row moves only when a timer comes due before it. A row that comes due with nothing due
   * (the timer it was set for was deleted) finds the earliest left and moves there
   * ({@link fireStateTimers}). So a step, which sets and deletes task timeouts, writes no timer
   * row at all.
   */
  setTimer(key: string, dueAtMs: number, payload: TimerPayload): void {
    const inState = this.state.timers;
    if (inState === undefined || !isStateTimerKey(key)) {
      this.#setRow({ runId: this.runId, key, dueAtMs, payload });
      return;
    }
    inState[key] = { dueAtMs, payload };
    this.#changed = true;
    this.#wakeBy(dueAtMs);
  }

  /** Deletes the run's timer `key`, including one set earlier in this decision. */
  deleteTimer(key: string): void {
    const inState = this.state.timers;
    if (inState !== undefined && isStateTimerKey(key)) {
      if (!(key in inState)) return;
      delete inState[key];
      this.#changed = true;
      return;
    }
    const i = this.timers.findIndex((t) => t.key === key);
    if (i >= 0) this.timers.splice(i, 1);
    this.deletedTimerKeys.push(key);
    this.#changed = true;
  }

  /**
   * Deletes the timer row that came due, `timer`, unless it was set again since (another due
   * time): firing a row twice, as two engines can, must not delete what the first firing wrote.
   */
  deleteFiredTimer(timer: { key: string; dueAtMs: number }): void {
    this.firedTimer = { key: timer.key, dueAtMs: timer.dueAtMs };
    this.#changed = true;
  }

  /**
   * The row of the state's timers came due (the caller deleted it): runs `due` for each timer
   * due by now, earliest first, then sets the row again for the earliest left.
   */
  fireStateTimers(due: (payload: TimerPayload) => void): void {
    const inState = this.state.timers;
    delete this.state.timerRowDueAtMs;
    this.touch();
    if (inState === undefined) return;
    const dueNow = Object.entries(inState)
      .filter(([, t]) => t.dueAtMs <= this.nowMs)
      .sort(([, a], [, b]) => a.dueAtMs - b.dueAtMs);
    for (const [key, t] of dueNow) {
      // An earlier one may have closed the run, or replaced or deleted this timer.
      if (!this.isRunning || this.state.timers?.[key] !== t) continue;
      delete inState[key];
      due(t.payload);
    }
    const left = this.state.timers;
    if (left === undefined) return;
    let earliest: number | undefined;
    for (const t of Object.values(left))
      if (earliest === undefined || t.dueAtMs < earliest) earliest = t.dueAtMs;
    if (earliest !== undefined) this.#wakeBy(earliest);
  }

  /** A closed run keeps no timers: the state's go, and their row with them. */
  #dropStateTimers(): void {
    if (this.state.timers === undefined) return;
    this.state.timers = {};
    if (this.state.timerRowDueAtMs === undefined) return;
    delete this.state.timerRowDueAtMs;
    this.deleteTimer(STATE_TIMERS_KEY);
  }

  /** Moves the row of the state's timers to `dueAtMs` if it is not due by then already. */
  #wakeBy(dueAtMs: number): void {
    const row = this.state.timerRowDueAtMs;
    if (row !== undefined && row <= dueAtMs) return;
    this.state.timerRowDueAtMs = dueAtMs;
    this.#setRow({
      runId: this.runId,
      key: STATE_TIMERS_KEY,
      dueAtMs,
      payload: { kind: 'stateTimers' },
    });
  }

  /** Writes a timer row, replacing one of the same key set earlier in this decision. */
  #setRow(timer: NewTimer): void {
    const i = this.timers.findIndex((t) => t.key === timer.key);
    if (i >= 0) this.timers.splice(i, 1);
    this.timers.push(timer);
    this.#changed = true;
  }

  /**
   * Takes back a task enqueued earlier in this decision (it is dispatched eagerly instead); true
   * if there was one.
   */
  dequeue(kind: TaskKind, scheduledEventId: number): boolean {
    const i = this.tasks.findIndex(
      (t) => t.kind === kind && t.scheduledEventId === scheduledEventId,
    );
    if (i < 0) return false;
    this.tasks.splice(i, 1);
    return true;
  }

  ackTask(taskId: number): void {
    this.ackedTaskIds.push(taskId);
    this.#changed = true;
  }

  /**
   * Schedules a workflow task now: WorkflowTaskScheduled + a task queued by
   * {@link enqueueWorkflowTask}.
   */
  scheduleWorkflowTask(attempt: number, timeoutMs: number): void {
    this.append({
      type: 'WorkflowTaskScheduled',
      taskQueue: this.state.taskQueue,
      startToCloseTimeoutMs: timeoutMs,
      attempt,
    });
    this.enqueueWorkflowTask();
  }

  /**
   * Queues the run's scheduled workflow task: on the sticky queue of the worker that keeps the
   * run in memory while that queue takes it (StickyQueues.routes), with a timer for how long it
   * may wait there (engine/sticky.ts); else on the run's own queue.
   */
  enqueueWorkflowTask(): void {
    const wt = this.state.workflowTask;
    if (wt === undefined) throw new IllegalStateError(`Run ${this.runId} has no workflow task.`);
    const sticky = this.state.sticky;
    if (
      sticky === undefined ||
      this.stickyQueues?.routes(this.state.namespace, sticky.taskQueue, this.state.taskQueue) !==
        true
    ) {
      this.enqueue(
        'workflow',
        this.state.taskQueue,
        wt.scheduledEventId,
        wt.attempt,
        this.state.priority,
      );
      return;
    }
    this.enqueue(
      'workflow',
      sticky.taskQueue,
      wt.scheduledEventId,
      wt.attempt,
      this.state.priority,
    );
    wt.stickyQueue = sticky.taskQueue;
    if (this.heldBy !== undefined) wt.heldBy = this.heldBy;
    this.setTimer(workflowTaskTimerKey(), this.nowMs + sticky.scheduleToStartTimeoutMs, {
      kind: 'workflowTaskStickyTimeout',
      scheduledEventId: wt.scheduledEventId,
    });
  }

  /**
   * Ends the decision: if the workflow must see new events, schedules a workflow task unless
   * one is outstanding (or backing off); a started one is marked so that another follows it.
   */
  finish(defaultWorkflowTaskTimeoutMs: number): void {
    if (!this.#wake || this.state.status !== RunStatus.Running) return;
    const wt = this.state.workflowTask;
    if (wt?.startedEventId !== undefined) {
      this.state.eventsWhileTaskStarted = true;
      return;
    }
    if (wt || this.state.workflowTaskBackoffAttempt !== undefined) return;
    this.scheduleWorkflowTask(1, this.state.workflowTaskTimeoutMs || defaultWorkflowTaskTimeoutMs);
  }
}
