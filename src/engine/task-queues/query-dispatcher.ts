import { randomUUID } from 'node:crypto';
import { UnavailableError } from '../../errors.ts';
import type { WireHeaders } from '../../protocol/headers.ts';
import type { RespondQueryTaskRequest } from '../../transport/engine-api.ts';
import { taskKey } from '../notifier.ts';
import type { Notifier } from '../notifier.ts';

export interface QueryTaskInfo {
  queryId: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  /** The run's last completed workflow task, whose state the query reads (engine-api.ts). */
  previousStartedEventId: number;
  queryType: string;
  args: unknown[];
  header?: WireHeaders | undefined;
}

interface Pending {
  info: QueryTaskInfo;
  resolve: (r: RespondQueryTaskRequest['result']) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** The queue whose list holds it now. */
  key: string;
  /** While on a sticky queue: when it moves to the run's own queue. */
  moveTimer?: NodeJS.Timeout | undefined;
  /** While on a sticky queue: the run's own queue's key. */
  fallbackKey?: string | undefined;
}

/** Where a query waits first: the sticky queue of the worker that keeps the run in memory. */
export interface StickyQueryRoute {
  taskQueue: string;
  /** How long it waits there before any worker on the run's own queue may take it. */
  waitMs: number;
}

/**
 * Queries are not durable: they wait in memory for a worker polling the run's task queue, and
 * fail with Unavailable if none answers in time. (A query is read-only; losing one loses nothing.)
 * A run whose worker keeps it in memory has its queries wait on that worker's sticky queue first
 * (engine/sticky.ts), so that it answers from memory, then on the run's own queue.
 */
export class QueryDispatcher {
  readonly #queued = new Map<string, Pending[]>();
  readonly #inFlight = new Map<string, Pending>();
  readonly #notifier: Notifier;

  constructor(notifier: Notifier) {
    this.#notifier = notifier;
  }

  submit(
    namespace: string,
    taskQueue: string,
    info: Omit<QueryTaskInfo, 'queryId'>,
    timeoutMs: number,
    sticky?: StickyQueryRoute,
  ): Promise<RespondQueryTaskRequest['result']> {
    const key = taskKey(namespace, taskQueue, 'workflow');
    return new Promise((resolve, reject) => {
      const p: Pending = {
        info: { ...info, queryId: randomUUID() },
        resolve,
        reject,
        key,
        timer: setTimeout(() => {
          this.#remove(p);
          reject(
            new UnavailableError(
              `No worker answered query '${info.queryType}' on workflow '${info.workflowId}' within ${timeoutMs} ms. ` +
                `Is a worker running on task queue '${taskQueue}'?`,
            ),
          );
        }, timeoutMs),
      };
      if (sticky === undefined || sticky.waitMs >= timeoutMs) {
        this.#queue(p, key);
        return;
      }
      p.fallbackKey = key;
      this.#queue(p, taskKey(namespace, sticky.taskQueue, 'workflow'));
      p.moveTimer = setTimeout(() => {
        this.#fallBack(p);
      }, sticky.waitMs);
    });
  }

  /** The sticky queue's worker stopped: its queries wait on their runs' own queues now. */
  stickyQueueGone(namespace: string, stickyQueue: string): void {
    const list = this.#queued.get(taskKey(namespace, stickyQueue, 'workflow'));
    for (const p of [...(list ?? [])]) this.#fallBack(p);
  }

  #fallBack(p: Pending): void {
    const to = p.fallbackKey;
    if (to === undefined) return;
    this.#remove(p);
    p.fallbackKey = undefined;
    this.#queue(p, to);
  }

  #queue(p: Pending, key: string): void {
    p.key = key;
    const list = this.#queued.get(key) ?? [];
    list.push(p);
    this.#queued.set(key, list);
    this.#notifier.notify(key);
  }

  /** Hands the oldest queued query of the queue to a poller. */
  take(namespace: string, taskQueue: string): QueryTaskInfo | undefined {
    const key = taskKey(namespace, taskQueue, 'workflow');
    const list = this.#queued.get(key);
    const p = list?.shift();
    if (!p) return undefined;
    if (list?.length === 0) this.#queued.delete(key);
    clearTimeout(p.moveTimer);
    this.#inFlight.set(p.info.queryId, p);
    return p.info;
  }

  /** Delivers a worker's answer; an answer to an unknown or timed-out query changes nothing. */
  respond(req: RespondQueryTaskRequest): void {
    const p = this.#inFlight.get(req.queryId);
    if (!p) return;
    this.#inFlight.delete(req.queryId);
    clearTimeout(p.timer);
    clearTimeout(p.moveTimer);
    p.resolve(req.result);
  }

  #remove(p: Pending): void {
    clearTimeout(p.moveTimer);
    const list = this.#queued.get(p.key);
    if (list) {
      const i = list.indexOf(p);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#queued.delete(p.key);
    }
    this.#inFlight.delete(p.info.queryId);
  }

  /** Queues with queries waiting (tests). */
  get queuedKeys(): number {
    return this.#queued.size;
  }

  close(): void {
    for (const list of this.#queued.values()) {
      for (const p of list) {
        clearTimeout(p.timer);
        clearTimeout(p.moveTimer);
      }
    }
    for (const p of this.#inFlight.values()) clearTimeout(p.timer);
    this.#queued.clear();
    this.#inFlight.clear();
  }
}
