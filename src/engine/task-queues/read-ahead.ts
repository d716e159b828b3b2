import { DEFAULT_PRIORITY_KEY } from '../../protocol/priority.ts';
import type { TaskKind } from '../../protocol/tasks.ts';
import type { NewTask, TaskRecord } from '../../store/store.ts';
import { perStore } from '../per-store.ts';

/**
 * The tasks a poll's read of its queue found behind the one it took, kept for the next polls of
 * that queue in this process so that they need no read of their own (docs/performance.md). They
 * are the queue's first in dispatch order when read (lowest priority key, then oldest), and a
 * task id is never reused, so taking them in order keeps that order. What would break it forgets
 * them: a task that is free again after its start failed or its start's write was lost, a task
 * queued since that is more urgent than one kept ({@link queued}), and time.
 */
export interface ReadAhead {
  /** The oldest kept task of queue `key` that `passOver` does not hold, removed from the list. */
  take(key: string, passOver: (taskId: number) => boolean, nowMs: number): TaskRecord | undefined;
  /**
   * Counts the forgets: a read notes it before it asks the store, and keeps what it found only if
   * nothing was forgotten meanwhile (a task freed during the read may be missing from it).
   */
  readonly generation: number;
  /**
   * A read of queue `key` begins: the {@link generation} to give {@link keep}. A task queued
   * there before the read's keep makes its `exhaustive` count for nothing.
   */
  startRead(key: string): number;
  /**
   * Keeps `tasks` (oldest first), read at `nowMs`, for queue `key`, in place of any kept, unless
   * the {@link generation} moved on from `readAt`. `exhaustive`: the read found every task the
   * queue held (fewer than its limit); with none left to keep, the queue is then known empty
   * ({@link knownEmpty}) until a task is queued there, forgets, or time.
   */
  keep(
    key: string,
    tasks: readonly TaskRecord[],
    nowMs: number,
    readAt: number,
    exhaustive?: boolean,
  ): void;
  /**
   * A task that {@link take} or a read found for a poll that then took another: it goes back in
   * front of queue `key`'s kept tasks, and the queue is no longer known empty.
   */
  putBack(key: string, task: TaskRecord): void;
  /** Whether queue `key` held no task at its last read, and none was queued since. */
  knownEmpty(key: string, nowMs: number): boolean;
  /** Forgets every queue's kept tasks, and which queues are known empty. */
  forget(): void;
  /**
   * Whether another engine process is on the store (Peers.mayReadAhead), told before each find.
   * While one is, no task is kept (its polls may start them first), but which queues are known
   * empty is: its tasks queued since a read are seen only by {@link knownEmpty}'s age, so only a
   * poll that has a task already relies on it (matcher.ts). Alone again, that is forgotten.
   */
  sharedStore(shared: boolean): void;
  /**
   * A task was queued (its write committed): if its queue keeps a task of a higher priority key
   * than its own, it would be handed out after that one, out of order, so the kept tasks are
   * forgotten and the next poll reads. Costs a comparison while no kept task is less urgent.
   */
  queued(task: Pick<NewTask, 'namespace' | 'taskQueue' | 'kind' | 'priority'>): void;
}

/** The key of a queue's kept tasks. Names may hold any character: one queue's never reach another's. */
export function readAheadKey(namespace: string, taskQueue: string, kind: TaskKind): string {
  return JSON.stringify([namespace, taskQueue, kind]);
}

/** How many tasks one read of a queue may find: the one it is for and those kept behind it. */
export const READ_AHEAD_TASKS = 16;

/** How long kept tasks are used: past this, a poll reads the queue again. */
export const READ_AHEAD_MAX_AGE_MS = 200;

/** More queues kept than this, and a read drops those whose tasks are too old to use. */
const SWEEP_ABOVE_QUEUES = 64;

interface Kept {
  tasks: readonly TaskRecord[];
  next: number;
  readAtMs: number;
  /** The highest priority key among `tasks`: a task queued with a lower one goes before it. */
  worst: number;
}

export function makeReadAhead(): ReadAhead {
  const kept = new Map<string, Kept>();
  /** Queues found empty, by when; and queues being read, by whether a task was queued since. */
  const empty = new Map<string, number>();
  const reading = new Map<string, boolean>();
  let generation = 0;
  /** At least the highest `worst` of the kept lists: a task queued at or above it passes none. */
  let worstKept = 0;
  /** Whether the last {@link ReadAhead.sharedStore} said another engine was on the store. */
  let wasShared = false;
  const forget = (): void => {
    generation++;
    kept.clear();
    empty.clear();
    worstKept = 0;
  };
  const fresh = (readAtMs: number, nowMs: number): boolean => {
    const age = nowMs - readAtMs;
    return age >= 0 && age <= READ_AHEAD_MAX_AGE_MS; // a clock set back makes them stale too
  };
  return {
    take(key, passOver, nowMs) {
      const k = kept.get(key);
      if (k === undefined) return undefined;
      if (fresh(k.readAtMs, nowMs)) {
        while (k.next < k.tasks.length) {
          const task = k.tasks[k.next++];
          if (task !== undefined && !passOver(task.taskId)) return task;
        }
      }
      kept.delete(key);
      return undefined;
    },
    get generation() {
      return generation;
    },
    startRead(key) {
      reading.set(key, false);
      return generation;
    },
    keep(key, tasks, nowMs, readAt, exhaustive = false) {
      const queuedMeanwhile = reading.get(key) !== false;
      reading.delete(key);
      if (exhaustive && tasks.length === 0 && !queuedMeanwhile && readAt === generation) {
        empty.set(key, nowMs);
        if (empty.size > SWEEP_ABOVE_QUEUES) {
          for (const [k, at] of empty) {
            if (!fresh(at, nowMs)) empty.delete(k);
          }
        }
      } else {
        empty.delete(key);
      }
      if (tasks.length === 0 || readAt !== generation) kept.delete(key);
      else {
        // In dispatch order: the last is the least urgent.
        const worst = tasks[tasks.length - 1]?.priority ?? DEFAULT_PRIORITY_KEY;
        worstKept = Math.max(worstKept, worst);
        kept.set(key, { tasks, next: 0, readAtMs: nowMs, worst });
      }
      // Queues no poll has come back to would keep their tasks for good: drop the stale ones.
      if (kept.size > SWEEP_ABOVE_QUEUES) {
        for (const [k, v] of kept) if (!fresh(v.readAtMs, nowMs)) kept.delete(k);
      }
    },
    putBack(key, task) {
      empty.delete(key);
      const k = kept.get(key);
      if (k === undefined) return; // the next poll reads the queue, and finds it
      if (k.next > 0 && k.tasks[k.next - 1]?.taskId === task.taskId) k.next--;
      else kept.set(key, { ...k, tasks: [task, ...k.tasks.slice(k.next)], next: 0 });
    },
    knownEmpty(key, nowMs) {
      const at = empty.get(key);
      if (at === undefined) return false;
      if (fresh(at, nowMs)) return true;
      empty.delete(key);
      return false;
    },
    forget,
    sharedStore(shared) {
      if (shared) {
        kept.clear();
        worstKept = 0;
        wasShared = true;
      } else if (wasShared) {
        forget();
        wasShared = false;
      }
    },
    queued(task) {
      if (empty.size > 0 || reading.size > 0) {
        const key = readAheadKey(task.namespace, task.taskQueue, task.kind);
        empty.delete(key);
        if (reading.has(key)) reading.set(key, true);
      }
      const priority = task.priority ?? DEFAULT_PRIORITY_KEY;
      if (priority >= worstKept || kept.size === 0) return;
      const k = kept.get(readAheadKey(task.namespace, task.taskQueue, task.kind));
      // A read of the queue under way may still keep what it found without this task: a
      // deviation of one read's worth, as Temporal allows ("close to priority order").
      if (k !== undefined && priority < k.worst) forget();
    },
  };
}

/** This process's read-ahead of each task queue, per store. */
export const readAheadOf = perStore(makeReadAhead);
