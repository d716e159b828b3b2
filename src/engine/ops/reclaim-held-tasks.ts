import type { EngineDeps } from '../deps.ts';
import { updateRun } from '../update-run.ts';
import { activityTimeoutDue } from './activity-tasks.ts';
import { workflowTaskTimedOut } from './workflow-tasks.ts';
import { Semaphore } from '../../util/semaphore.ts';
import { moveStickyTasksLater, unstick } from '../sticky.ts';

/** Runs taken back at once (see reclaimTasksHeldBy). */
const RUNS_AT_ONCE = 32;

/**
 * The started tasks that engine process `processId` handed to workers of its own process, which
 * died (ADR 0012), and the workflow tasks it queued on their sticky queues. Each started task
 * times out now, as it would have at its start-to-close timeout — a workflow task is scheduled
 * again, an activity attempt fails with a StartToClose timeout and is retried by its policy; each
 * queued one goes to its run's own queue (engine/sticky.ts). Returns the number of runs changed.
 * (This engine's cached row of a run predates the dead process's start of its task; finding
 * nothing held there, `updateRun` reads the stored row and decides again.)
 */
export async function reclaimTasksHeldBy(
  deps: EngineDeps,
  processId: string,
  cause: string,
): Promise<number> {
  let changed = 0;
  const stickyQueues = new Map<string, { namespace: string; queue: string }>();
  // Runs are taken back a few dozen at a time: their commits share transactions (group commit),
  // where one run after another cost a commit each before the process could serve.
  const slots = new Semaphore(RUNS_AT_ONCE);
  const reclaim = async (runId: string): Promise<void> => {
    await slots.acquire();
    try {
      const did = await updateRun(deps, runId, (tx) => {
        const wt = tx.state.workflowTask;
        if (wt?.startedEventId !== undefined && wt.heldBy === processId) {
          workflowTaskTimedOut(tx, wt.scheduledEventId, wt.startedEventId);
        } else if (wt?.stickyQueue !== undefined && wt.heldBy === processId) {
          // Queued for a worker of that process: the run's own queue gets it.
          const { namespace } = tx.state;
          const queue = wt.stickyQueue;
          stickyQueues.set(JSON.stringify([namespace, queue]), { namespace, queue });
          unstick(tx);
        }
        const held = Object.values(tx.state.pendingActivities).filter(
          (a) => a.phase === 'started' && a.heldBy === processId,
        );
        for (const a of held) {
          activityTimeoutDue(tx, a.scheduledEventId, a.attempt, 'StartToClose', cause);
        }
        return tx.changed;
      });
      if (did) changed++;
    } catch (e) {
      // Its timeouts still apply: the task is given out again then.
      deps.logger.warn({ err: e, runId, processId }, 'taking back a dead process’s task failed');
    } finally {
      slots.release();
    }
  };
  await Promise.all((await deps.store.listRunsHeldBy({ processId })).map(reclaim));
  // Their rows on the sticky queues, which no poll will read again.
  for (const { namespace, queue } of stickyQueues.values()) {
    moveStickyTasksLater(deps, namespace, queue);
  }
  return changed;
}
