import * as z from 'zod';
import type { ShutdownWorkerRequest } from '../transport/engine-api.ts';
import type { EngineDeps } from './deps.ts';
import { parseRequest } from './ops/parse-request.ts';
import { perStore } from './per-store.ts';
import type { QueryDispatcher } from './task-queues/query-dispatcher.ts';
import { updateRunIfExists } from './update-run.ts';
import type { RunTx } from './update-run.ts';
import { workflowTaskTimerKey } from './timer-keys.ts';

/**
 * Sticky queues (Temporal's): a worker that keeps a run in memory names a task queue of its own
 * when it answers the run's workflow task, and polls it beside the run's own queue. The run's
 * next workflow task is queued there, so it goes to the worker that can answer it from memory
 * instead of to whichever worker polls first, which would read the run's whole history and
 * replay it. It waits there `scheduleToStartTimeoutMs` at most (the worker's
 * `stickyQueueScheduleToStartTimeout`), then goes to the run's own queue and the run is no longer
 * sticky. A task is queued there only while the worker polls this engine process, and, while
 * this engine is alone on its store, another worker polls the run's queue there too (with one
 * worker, the run's own queue reaches the same worker: task-queues/sticky-queues.ts); a worker
 * that stops says so (`shutdownWorker`), and the tasks queued for it move at once; the tasks
 * queued for a worker of an engine process that died move when that process is found dead
 * (ADR 0012). A failed or timed-out workflow task also ends the run's stickiness, as in Temporal.
 * Test: test/e2e/sticky-queues.test.ts.
 */

/**
 * Moves the run's scheduled workflow task from the sticky queue `taskQueue` to the run's own
 * queue, and ends its stickiness; false if the task is not queued there. The task's row on the
 * sticky queue stays: a poll of it may still start the task (the run's compare-and-set keeps it to
 * one start), and a poll or {@link moveStickyTasks} deletes it once it is stale.
 */
export function unstick(tx: RunTx, taskQueue?: string): boolean {
  const wt = tx.state.workflowTask;
  if (
    wt?.stickyQueue === undefined ||
    wt.startedEventId !== undefined ||
    (taskQueue !== undefined && wt.stickyQueue !== taskQueue)
  ) {
    return false;
  }
  delete tx.state.sticky;
  delete wt.stickyQueue;
  delete wt.heldBy;
  // Its schedule-to-start timer, if it has not fired: the run's own queue has none.
  tx.deleteTimer(workflowTaskTimerKey());
  tx.enqueue('workflow', tx.state.taskQueue, wt.scheduledEventId, wt.attempt, tx.state.priority);
  return true;
}

/**
 * Timer: the workflow task waited its schedule-to-start timeout on the sticky queue: it goes to
 * the run's own queue. Returns the sticky queue it left, if it did.
 */
export function stickyTaskTimedOut(tx: RunTx, scheduledEventId: number): string | undefined {
  const wt = tx.state.workflowTask;
  if (!tx.isRunning || wt?.scheduledEventId !== scheduledEventId) return undefined;
  const queue = wt.stickyQueue;
  return queue !== undefined && unstick(tx, queue) ? queue : undefined;
}

/** Tasks read at once from a sticky queue whose worker is gone. */
const MOVE_BATCH = 100;

/**
 * Moves every workflow task queued on the sticky queue to its run's own queue and deletes the
 * queue's rows: its worker stopped, died, or let a task wait past its timeout. Returns how many
 * tasks moved. A task its worker starts meanwhile is started once: the run's compare-and-set
 * orders the two decisions.
 */
export async function moveStickyTasks(
  deps: EngineDeps,
  namespace: string,
  taskQueue: string,
): Promise<number> {
  let moved = 0;
  const done: number[] = [];
  for (;;) {
    const tasks = await deps.store.findTasks({
      namespace,
      taskQueue,
      kind: 'workflow',
      skipTaskIds: done,
      limit: MOVE_BATCH,
    });
    if (tasks.length === 0) return moved;
    for (const task of tasks) {
      done.push(task.taskId);
      const out = await updateRunIfExists(deps, task.runId, (tx) => {
        const wt = tx.state.workflowTask;
        const current =
          tx.isRunning &&
          wt?.scheduledEventId === task.scheduledEventId &&
          wt.startedEventId === undefined;
        // A task that waits on this queue as its run's own (a task queue named as a sticky one
        // by mistake) stays: only the rows of tasks queued there for a worker, and stale ones
        // (a task moved already, or started), go.
        if (current && wt.stickyQueue === undefined && taskQueue === tx.state.taskQueue) {
          return false;
        }
        tx.ackTask(task.taskId);
        return current && unstick(tx, taskQueue);
      });
      if (out === 'missing') await deps.store.deleteTask({ taskId: task.taskId });
      else if (out) moved++;
    }
  }
}

/**
 * {@link moveStickyTasks} in the background, one move per queue at a time (the timeouts of a
 * gone worker's tasks come due together): logged, never thrown (the timeouts still apply).
 */
export function moveStickyTasksLater(deps: EngineDeps, namespace: string, taskQueue: string): void {
  const moving = movingOf(deps.store);
  const key = JSON.stringify([namespace, taskQueue]);
  if (moving.has(key)) return;
  moving.add(key);
  moveStickyTasks(deps, namespace, taskQueue)
    .catch((err: unknown) => {
      deps.logger.warn(
        { err, namespace, taskQueue },
        'moving the workflow tasks of a sticky queue to their runs’ own queues failed; each moves at its schedule-to-start timeout',
      );
    })
    .finally(() => moving.delete(key));
}

/** The sticky queues whose tasks a background move is moving, per store. */
const movingOf = perStore(() => new Set<string>());

export const ShutdownWorkerSchema = z.object({
  namespace: z.string().min(1),
  stickyTaskQueue: z.string().min(1),
  identity: z.string().min(1),
});

/**
 * A worker stops (Temporal's ShutdownWorker): no task is queued on its sticky queue from now on,
 * and the tasks and queries waiting there go to their runs' own queues, for the other workers.
 */
export async function shutdownWorker(
  deps: EngineDeps,
  queries: QueryDispatcher,
  input: ShutdownWorkerRequest,
): Promise<void> {
  const req = parseRequest(ShutdownWorkerSchema, input, 'shut down worker');
  deps.stickyQueues.gone(req.namespace, req.stickyTaskQueue);
  queries.stickyQueueGone(req.namespace, req.stickyTaskQueue);
  const moved = await moveStickyTasks(deps, req.namespace, req.stickyTaskQueue);
  if (moved > 0) {
    deps.logger.debug(
      { namespace: req.namespace, identity: req.identity, tasks: moved },
      'a stopping worker’s sticky workflow tasks moved to their runs’ own queues',
    );
  }
}
