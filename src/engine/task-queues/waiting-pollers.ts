import type { TaskKind } from '../../protocol/tasks.ts';
import { taskKey } from '../notifier.ts';

/**
 * A long-poll waiting in this engine process. A decision that enqueues a task for its queue may
 * claim it (synchronously, before committing), start the task in the same transaction, and hand
 * it over after the commit: "sync match", one commit and no task row for a task a worker was
 * already waiting for. A claimed poller no longer times out: it waits for the delivery, which
 * is `undefined` if the commit failed (the poller then polls again).
 */
export class WaitingPoller {
  readonly identity: string;
  readonly #onDone: () => void;
  #state: 'waiting' | 'claimed' | 'done' = 'waiting';
  #resolve!: (task: unknown) => void;
  /** The task handed over, or undefined when a claim was released. */
  readonly delivered: Promise<unknown>;

  constructor(identity: string, onDone: () => void) {
    this.identity = identity;
    this.#onDone = onDone;
    this.delivered = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Stops waiting; false if a decision claimed it first (then await {@link delivered}). */
  cancel(): boolean {
    if (this.#state !== 'waiting') return false;
    this.#state = 'done';
    this.#onDone();
    this.#resolve(undefined);
    return true;
  }

  /** @internal */
  claim(): void {
    this.#state = 'claimed';
    this.#onDone();
  }

  /** @internal The task, or undefined when the claiming commit failed. */
  deliver(task: unknown): void {
    this.#state = 'done';
    this.#resolve(task);
  }
}

/** The long-polls of this engine process that wait for a task, per queue, oldest first. */
export class WaitingPollers {
  readonly #queues = new Map<string, Set<WaitingPoller>>();

  /**
   * Registers a poller of the queues (a worker's sticky queue and its task queue); cancel() it
   * when it stops waiting. A decision that enqueues a task on any of them may claim it.
   */
  wait(
    namespace: string,
    taskQueues: readonly string[],
    kind: TaskKind,
    identity: string,
  ): WaitingPoller {
    const sets = taskQueues.map((taskQueue) => {
      const key = taskKey(namespace, taskQueue, kind);
      let set = this.#queues.get(key);
      if (!set) {
        set = new Set();
        this.#queues.set(key, set);
      }
      return { key, set };
    });
    const poller = new WaitingPoller(identity, () => {
      for (const { key, set } of sets) {
        set.delete(poller);
        if (set.size === 0 && this.#queues.get(key) === set) this.#queues.delete(key);
      }
    });
    for (const { set } of sets) set.add(poller);
    return poller;
  }

  /** How many polls wait on the queue now (for tests and metrics). */
  count(namespace: string, taskQueue: string, kind: TaskKind): number {
    return this.#queues.get(taskKey(namespace, taskQueue, kind))?.size ?? 0;
  }

  /** Claims the oldest poller waiting on the queue, if any. */
  claim(namespace: string, taskQueue: string, kind: TaskKind): WaitingPoller | undefined {
    const set = this.#queues.get(taskKey(namespace, taskQueue, kind));
    const first = set?.values().next();
    if (first === undefined || first.done === true) return undefined;
    first.value.claim();
    return first.value;
  }
}
