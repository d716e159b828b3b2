import { z } from 'zod';
import type { TaskKind } from '../../protocol/tasks.ts';
import type { Store, TaskRecord } from '../../store/store.ts';
import type { PollRequest } from '../../transport/engine-api.ts';
import type { EngineDeps } from '../deps.ts';
import { RECHECK_INTERVAL_MS, taskKey } from '../notifier.ts';
import { parseRequest } from '../ops/parse-request.ts';

const PollSchema = z.object({
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  identity: z.string().min(1),
  waitMs: z.number().int().nonnegative().max(120_000),
});

/**
 * The long-poll of one task queue: finds the oldest task no poller of this process is starting
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
  for (;;) {
    const early = before?.(req.namespace, req.taskQueue);
    if (early !== undefined) return early;
    const starting = startingTasksOf(deps.store);
    const task = await deps.store.findTask({
      namespace: req.namespace,
      taskQueue: req.taskQueue,
      kind,
      skipTaskIds: [...starting],
    });
    // Polls that read at once find the same oldest task: the ones that lose it to another poll
    // of this process look again at once, passing it over, rather than wait for a wake-up.
    if (task && starting.has(task.taskId)) continue;
    if (task) {
      starting.add(task.taskId);
      try {
        const started = await start(task, req.identity);
        if (started !== undefined) return started;
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

/** Tasks the pollers of this process are starting, per store: the others pass them over. */
const startingTasks = new WeakMap<Store, Set<number>>();

function startingTasksOf(store: Store): Set<number> {
  let set = startingTasks.get(store);
  if (!set) {
    set = new Set();
    startingTasks.set(store, set);
  }
  return set;
}
