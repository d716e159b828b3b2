import type { CreateRunRequest } from '../store/store.ts';
import { followRegistration } from './search-attribute-registry.ts';
import type { EngineDeps } from './deps.ts';
import { workflowTaskFor } from './ops/workflow-tasks.ts';
import {
  queuedActivity,
  queuedWorkflowTask,
  takeActivity,
  takeWorkflowTask,
} from './eager-dispatch.ts';
import { RunCache } from './run-cache.ts';
import { holdersOf } from './run-state.ts';
import type { WaitingPoller } from './task-queues/waiting-pollers.ts';
import { afterCommit } from './update-run.ts';
import type { RunTx } from './update-run.ts';

/** A task started for a poller of this process, handed over once its transaction commits. */
export interface Match {
  readonly poller: WaitingPoller;
  readonly build: () => Promise<unknown>;
}

/**
 * Sync match (Temporal's matching term): before a decision commits, each task it enqueues whose
 * queue has a long-poll waiting in this engine process is taken back and started in the same
 * transaction for that poller, instead of being written as a task row for a poll to find and
 * start in a second commit. Call {@link handOver} after the commit, {@link release} if it failed.
 */
export function matchWaitingPollers(deps: EngineDeps, tx: RunTx): Match[] {
  const matches: Match[] = [];
  for (const t of [...tx.tasks]) {
    if (t.kind === 'workflow') {
      if (queuedWorkflowTask(tx) !== t.scheduledEventId) continue;
      const poller = deps.pollers.claim(t.namespace, t.taskQueue, t.kind);
      if (poller === undefined) continue;
      const started = takeWorkflowTask(deps, tx, poller.identity);
      matches.push({ poller, build: () => workflowTaskFor(deps, tx.runId, started) });
    } else {
      const a = queuedActivity(tx, t.scheduledEventId);
      if (a?.attempt !== t.attempt) continue;
      const poller = deps.pollers.claim(t.namespace, t.taskQueue, t.kind);
      if (poller === undefined) continue;
      const task = takeActivity(tx, a, poller.identity);
      const scheduled = tx.events.find((e) => e.eventId === a.scheduledEventId);
      matches.push({
        poller,
        build: async () => {
          const e =
            scheduled ??
            (await deps.store.readHistory({ runId: tx.runId, fromEventId: a.scheduledEventId }))[0];
          if (e?.type === 'ActivityTaskScheduled') {
            task.args = e.input;
            if (e.header !== undefined) task.header = e.header;
          }
          return task;
        },
      });
    }
  }
  return matches;
}

/** After the commit: each poller gets its task (or polls again if building it failed). */
export function handOver(deps: EngineDeps, matches: readonly Match[]): void {
  for (const m of matches) {
    m.build().then(
      (task) => {
        m.poller.deliver(task);
      },
      (e: unknown) => {
        deps.logger.error({ err: e }, 'handing a started task to a waiting poller failed');
        m.poller.deliver(undefined);
      },
    );
  }
}

/** The transaction failed: the pollers poll again (the tasks were never written). */
export function release(matches: readonly Match[]): void {
  for (const m of matches) m.poller.deliver(undefined);
}

/**
 * A new run about to be written (a start, a child, a continue-as-new or retry successor), with
 * its first workflow task matched to a waiting poll when one is there: the request to write, and
 * what to do after the commit ({@link committed}) or on failure ({@link release}).
 */
export function matchNewRun(
  deps: EngineDeps,
  built: { request: CreateRunRequest; tx: RunTx },
): { request: CreateRunRequest; matches: Match[] } {
  built.tx.heldBy = deps.processId;
  const matches = matchWaitingPollers(deps, built.tx);
  const run = { ...built.request.run, nextEventId: built.tx.state.nextEventId };
  return { request: { ...built.request, run, heldBy: holdersOf(built.tx.state) }, matches };
}

/** After a new run's commit: its row cached, wake-ups sent, matched tasks handed over. */
export function committed(
  deps: EngineDeps,
  request: CreateRunRequest,
  tx: RunTx,
  matches: readonly Match[],
): void {
  RunCache.of(deps.store).set(
    request.run,
    tx.state,
    JSON.stringify(tx.state),
    tx.events,
    undefined,
  );
  afterCommit(deps, tx);
  handOver(deps, matches);
}

/** Writes a new run (start, signalWithStart, a child) through {@link matchNewRun}. */
export async function createRunMatched(
  deps: EngineDeps,
  built: { request: CreateRunRequest; tx: RunTx },
): Promise<void> {
  const { request, matches } = matchNewRun(deps, built);
  try {
    const write = deps.store.createRun(request);
    followRegistration(deps.store, request.registerSearchAttributes, write);
    await write;
  } catch (e) {
    release(matches);
    throw e;
  }
  committed(deps, request, built.tx, matches);
}
