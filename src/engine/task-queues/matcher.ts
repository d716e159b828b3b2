import * as z from 'zod';
import type { TaskKind } from '../../protocol/tasks.ts';
import type { TaskRecord } from '../../store/store.ts';
import type { PollRequest } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
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

/**
 * The long-poll of one task queue: finds the first task in dispatch order (lowest priority key,
 * then oldest: Store.findTasks) that no poller of this process is starting
 * and lets `start` turn it into what the worker gets, in the transaction that also deletes the
 * task (a stale task yields undefined and the next is tried). Finding is a read, not a commit:
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
  const req = parseRequest(PollSchema, input, `poll ${kind} task`);
  const deadline = Date.now() + req.waitMs;
  const key = taskKey(req.namespace, req.taskQueue, kind);
  const aheadKey = readAheadKey(req.namespace, req.taskQueue, kind);
  for (;;) {
    const early = before?.(req.namespace, req.taskQueue);
    if (early !== undefined) return early;
    const starting = startingTasksOf(deps.store);
    const uncommitted = uncommittedAcksOf(deps.store);
    const ahead = readAheadOf(deps.store);
    // The polls of one queue in this process find one at a time, each passing over the tasks the
    // ones before it took: polls that read at once would all find the same oldest task. A read
    // finds up to READ_AHEAD_TASKS, and the polls after it take the rest without reading; not
    // while another engine process is recorded on the store, whose polls would start them first.
    const task = await findingOf(deps.store).run(key, async () => {
      const passOver = (taskId: number): boolean => starting.has(taskId) || uncommitted.has(taskId);
      const keeps = deps.peers.mayReadAhead();
      // Tasks kept could be started by another engine's polls meanwhile (peers.ts).
      if (!keeps) ahead.forget();
      let found = keeps ? ahead.take(aheadKey, passOver, deps.clock.now()) : undefined;
      if (found === undefined) {
        const readAt = ahead.generation;
        const tasks = await deps.store.findTasks({
          namespace: req.namespace,
          taskQueue: req.taskQueue,
          kind,
          skipTaskIds: [...starting, ...uncommitted],
          limit: keeps ? READ_AHEAD_TASKS : 1,
        });
        found = tasks[0];
        ahead.keep(aheadKey, tasks.slice(1), deps.clock.now(), readAt);
      }
      if (found) starting.add(found.taskId);
      return found;
    });
    if (task) {
      try {
        const started = await start(task, req.identity);
        if (started !== undefined) return started;
      } catch (e) {
        // The task is free again and older than any kept behind it: the next poll reads.
        ahead.forget();
        throw e;
      } finally {
        starting.delete(task.taskId);
      }
      continue;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 || signal?.aborted) return undefined;
    // Waiting: a decision that enqueues a task for this queue may start it for this poll and
    // hand it over (sync match); a wake-up or the re-read interval ends the wait otherwise.
    const waiting = deps.pollers.wait(req.namespace, req.taskQueue, kind, req.identity);
    const woken = deps.notifier.waitCancellable(
      key,
      Math.min(remaining, RECHECK_INTERVAL_MS),
      signal,
    );
    await Promise.race([woken.done, waiting.delivered]);
    woken.cancel();
    if (!waiting.cancel()) {
      const handed = (await waiting.delivered) as T | undefined;
      if (handed !== undefined) return handed;
    }
  }
}

/** Finds in progress per queue key, per store (see pollTaskQueue). */
const findingOf = perStore(() => new KeyedMutex());

/** Tasks the pollers of this process are starting, per store: the others pass them over. */
const startingTasksOf = perStore(() => new Set<number>());
