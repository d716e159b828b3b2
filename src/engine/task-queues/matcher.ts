import * as z from 'zod';
import type { TaskKind } from '../../protocol/tasks.ts';
import type { TaskRecord } from '../../store/store.ts';
import type { PollRequest } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { DEFAULT_PRIORITY_KEY } from '../../protocol/priority.ts';
import { RECHECK_INTERVAL_MS, taskKey } from '../notifier.ts';
import { parseRequest } from '../ops/parse-request.ts';
import { KeyedMutex } from '../../util/semaphore.ts';
import { perStore } from '../per-store.ts';
import { READ_AHEAD_TASKS, readAheadKey, readAheadOf } from './read-ahead.ts';
import { uncommittedAcksOf } from './uncommitted-acks.ts';

export const PollSchema = z.object({
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  identity: z.string().min(1),
  waitMs: z.number().int().nonnegative().max(120_000),
});

/** A workflow poll may name its worker's sticky queue too (engine/sticky.ts). */
export const WorkflowPollSchema = PollSchema.extend({
  stickyTaskQueue: z.string().min(1).optional(),
}).refine((r) => r.stickyTaskQueue !== r.taskQueue, {
  error: 'stickyTaskQueue must be the worker’s own queue, not the task queue it polls',
  path: ['stickyTaskQueue'],
});

/**
 * The long-poll of one task queue, or of a worker's sticky queue and its task queue: finds the
 * first task in dispatch order (lowest priority key, then oldest: Store.findTasks) that no poller
 * of this process is starting — of the two queues, the one whose first task comes first — and lets
 * `start` turn it into what the worker gets, in the transaction that also deletes the task (a
 * stale task yields undefined and the next is tried). Finding is a read, not a commit:
 * two engine processes that find the same task race on the run's compare-and-set, and the loser
 * sees it started. With no task, waits for a wake-up, re-reading the store at least every
 * RECHECK_INTERVAL_MS, until `waitMs` passes. `before` is checked first on every round (queued
 * queries).
 */
export async function pollTaskQueue<T>(
  deps: EngineDeps,
  input: PollRequest,
  kind: TaskKind,
  start: (task: TaskRecord, identity: string) => Promise<T | undefined>,
  signal: AbortSignal | undefined,
  before?: (namespace: string, taskQueue: string) => T | undefined,
): Promise<T | undefined> {
  if (kind === 'activity') {
    const req = parseRequest(PollSchema, input, 'poll activity task');
    return pollQueues(deps, req, [req.taskQueue], kind, start, signal, before);
  }
  const req = parseRequest(WorkflowPollSchema, input, 'poll workflow task');
  // While it polls, the runs its worker keeps in memory may have their workflow tasks queued
  // on its sticky queue; and every workflow poll tells whether another worker polls beside it.
  const sticky = req.stickyTaskQueue;
  const polled = deps.stickyQueues.polling(req.namespace, req.taskQueue, sticky);
  const queues = sticky === undefined ? [req.taskQueue] : [sticky, req.taskQueue];
  try {
    return await pollQueues(deps, req, queues, kind, start, signal, before);
  } finally {
    polled.done();
  }
}

async function pollQueues<T>(
  deps: EngineDeps,
  req: PollRequest,
  queues: readonly string[],
  kind: TaskKind,
  start: (task: TaskRecord, identity: string) => Promise<T | undefined>,
  signal: AbortSignal | undefined,
  before?: (namespace: string, taskQueue: string) => T | undefined,
): Promise<T | undefined> {
  const deadline = Date.now() + req.waitMs;
  for (;;) {
    for (const taskQueue of queues) {
      const early = before?.(req.namespace, taskQueue);
      if (early !== undefined) return early;
    }
    // A worker's sticky queue and its task queue are one queue to it, in dispatch order: its
    // own runs' next tasks do not keep new runs' first tasks, and those moved off a sticky queue
    // (a worker that died), waiting behind them. With a task in hand, a queue this process found
    // empty lately is not read again (ReadAhead.knownEmpty; with another engine on the store, a
    // task it queued there since waits for the next read, at most READ_AHEAD_MAX_AGE_MS).
    let task: TaskRecord | undefined;
    for (const taskQueue of queues) {
      if (task !== undefined && knownEmpty(deps, req.namespace, taskQueue, kind)) continue;
      const found = await findTask(deps, req.namespace, taskQueue, kind);
      if (found === undefined) continue;
      if (task === undefined) task = found;
      else if (precedes(found, task)) {
        putBack(deps, kind, task);
        task = found;
      } else putBack(deps, kind, found);
    }
    if (task) {
      const starting = startingTasksOf(deps.store);
      try {
        const started = await start(task, req.identity);
        if (started !== undefined) return started;
      } catch (e) {
        // The task is free again and older than any kept behind it: the next poll reads.
        readAheadOf(deps.store).forget();
        throw e;
      } finally {
        starting.delete(task.taskId);
      }
      continue;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 || signal?.aborted) return undefined;
    // Waiting: a decision that enqueues a task for these queues may start it for this poll and
    // hand it over (sync match); a wake-up or the re-read interval ends the wait otherwise.
    const waiting = deps.pollers.wait(req.namespace, queues, kind, req.identity);
    const waitMs = Math.min(remaining, RECHECK_INTERVAL_MS);
    const woken = queues.map((q) =>
      deps.notifier.waitCancellable(taskKey(req.namespace, q, kind), waitMs, signal),
    );
    await Promise.race([...woken.map((w) => w.done), waiting.delivered]);
    for (const w of woken) w.cancel();
    if (!waiting.cancel()) {
      const handed = (await waiting.delivered) as T | undefined;
      if (handed !== undefined) return handed;
    }
    // Ended by its caller or by the engine's close: answered at once, without reading the queue
    // again (a read that would race the store's close, and that no one waits for).
    if (signal?.aborted) return undefined;
  }
}

/**
 * The first task of one queue that no poll of this process is starting, marked as being started
 * (the caller deletes the mark once its start is decided). The polls of one queue in this process
 * find one at a time, each passing over the tasks the ones before it took: polls that read at
 * once would all find the same oldest task. A read finds up to READ_AHEAD_TASKS, and the polls
 * after it take the rest without reading; not while another engine process is recorded on the
 * store, whose polls would start them first.
 */
async function findTask(
  deps: EngineDeps,
  namespace: string,
  taskQueue: string,
  kind: TaskKind,
): Promise<TaskRecord | undefined> {
  const starting = startingTasksOf(deps.store);
  const uncommitted = uncommittedAcksOf(deps.store);
  const ahead = readAheadOf(deps.store);
  const aheadKey = readAheadKey(namespace, taskQueue, kind);
  return findingOf(deps.store).run(taskKey(namespace, taskQueue, kind), async () => {
    const passOver = (taskId: number): boolean => starting.has(taskId) || uncommitted.has(taskId);
    const keeps = deps.peers.mayReadAhead();
    // Tasks kept could be started by another engine's polls meanwhile (peers.ts).
    ahead.sharedStore(!keeps);
    const nowMs = deps.clock.now();
    let found = keeps ? ahead.take(aheadKey, passOver, nowMs) : undefined;
    // A queue this process found empty, and queued nothing on since, is not read again (a
    // worker's sticky queue, looked at by each of its polls, is empty most of the time).
    if (found === undefined && !(keeps && ahead.knownEmpty(aheadKey, nowMs))) {
      const readAt = ahead.startRead(aheadKey);
      const limit = keeps ? READ_AHEAD_TASKS : 1;
      const tasks = await deps.store.findTasks({
        namespace,
        taskQueue,
        kind,
        skipTaskIds: [...starting, ...uncommitted],
        limit,
      });
      found = tasks[0];
      ahead.keep(aheadKey, tasks.slice(1), deps.clock.now(), readAt, tasks.length < limit);
    }
    if (found) starting.add(found.taskId);
    return found;
  });
}

/** Whether task `a` is handed out before task `b` (of another queue): Store.findTasks's order. */
function precedes(a: TaskRecord, b: TaskRecord): boolean {
  const pa = a.priority ?? DEFAULT_PRIORITY_KEY;
  const pb = b.priority ?? DEFAULT_PRIORITY_KEY;
  return pa < pb || (pa === pb && a.taskId < b.taskId);
}

function knownEmpty(
  deps: EngineDeps,
  namespace: string,
  taskQueue: string,
  kind: TaskKind,
): boolean {
  return readAheadOf(deps.store).knownEmpty(
    readAheadKey(namespace, taskQueue, kind),
    deps.clock.now(),
  );
}

/** A task found by {@link findTask} that the poll does not take: free for the next poll again. */
function putBack(deps: EngineDeps, kind: TaskKind, task: TaskRecord): void {
  startingTasksOf(deps.store).delete(task.taskId);
  readAheadOf(deps.store).putBack(readAheadKey(task.namespace, task.taskQueue, kind), task);
}

/** Finds in progress per queue key, per store (see pollTaskQueue). */
const findingOf = perStore(() => new KeyedMutex());

/** Tasks the pollers of this process are starting, per store: the others pass them over. */
const startingTasksOf = perStore(() => new Set<number>());
