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
}

/**
 * Queries are not durable: they wait in memory for a worker polling the run's task queue, and
 * fail with Unavailable if none answers in time. (A query is read-only; losing one loses nothing.)
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
  ): Promise<RespondQueryTaskRequest['result']> {
    const key = taskKey(namespace, taskQueue, 'workflow');
    return new Promise((resolve, reject) => {
      const p: Pending = {
        info: { ...info, queryId: randomUUID() },
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#remove(key, p);
          reject(
            new UnavailableError(
              `No worker answered query '${info.queryType}' on workflow '${info.workflowId}' within ${timeoutMs} ms. ` +
                `Is a worker running on task queue '${taskQueue}'?`,
            ),
          );
        }, timeoutMs),
      };
      const list = this.#queued.get(key) ?? [];
      list.push(p);
      this.#queued.set(key, list);
      this.#notifier.notify(key);
    });
  }

  /** Hands the oldest queued query of the queue to a poller. */
  take(namespace: string, taskQueue: string): QueryTaskInfo | undefined {
    const key = taskKey(namespace, taskQueue, 'workflow');
    const p = this.#queued.get(key)?.shift();
    if (!p) return undefined;
    this.#inFlight.set(p.info.queryId, p);
    return p.info;
  }

  /** Delivers a worker's answer; an answer to an unknown or timed-out query changes nothing. */
  respond(req: RespondQueryTaskRequest): void {
    const p = this.#inFlight.get(req.queryId);
    if (!p) return;
    this.#inFlight.delete(req.queryId);
    clearTimeout(p.timer);
    p.resolve(req.result);
  }

  #remove(key: string, p: Pending): void {
    const list = this.#queued.get(key);
    if (list) {
      const i = list.indexOf(p);
      if (i >= 0) list.splice(i, 1);
    }
    this.#inFlight.delete(p.info.queryId);
  }

  close(): void {
    for (const list of this.#queued.values()) for (const p of list) clearTimeout(p.timer);
    for (const p of this.#inFlight.values()) clearTimeout(p.timer);
    this.#queued.clear();
    this.#inFlight.clear();
  }
}
