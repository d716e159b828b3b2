import type { HistoryEvent } from '../protocol/history-events.ts';
import { RunStatus } from '../protocol/run-status.ts';
import type { AppendToRunRequest, RunRecord, Store } from '../store/store.ts';
import type { RunState } from './run-state.ts';
import { cloneData } from '../util/clone-data.ts';
import { deepFreeze } from '../util/deep-freeze.ts';
import { perStore } from './per-store.ts';

/** Runs whose last committed row an engine process keeps, per store. */
const MAX_CACHED_RUNS = 5000;

/**
 * A run's row as cached: all but its state, which {@link CachedRun} keeps as JSON, and the
 * visibility copies of its memo and search attributes, which no reader of the cache needs.
 */
export type CachedRecord = Omit<RunRecord, 'state' | 'memo' | 'searchAttributes'>;

/** One run as this process last committed it. */
export interface CachedRun {
  readonly record: CachedRecord;
  /**
   * The run's state as its row holds it (`JSON.stringify`), which each decision parses into a
   * copy of its own. One string instead of an object graph: an entry lives until the run's next
   * step, long enough to be promoted to V8's old generation, where a string takes a fraction of
   * the graph's room and has nothing in it to mark (W2's peak RSS 11 MiB lower; bench/RESULTS.md,
   * twenty-first pass).
   */
  readonly stateJson: string;
  /**
   * The run's events after its last completed workflow task (`previousStartedEventId`), up to
   * the end of its history, when this process wrote them all: what the next workflow task
   * carries, without reading the store. Undefined when not known.
   */
  readonly tail: readonly HistoryEvent[] | undefined;
  /**
   * The write that left this row when it is a lingering one (RunTx.deferCommit), maybe not
   * committed yet: the run's next write names it (`after`), so that it fails if this one does.
   */
  readonly pending?: AppendToRunRequest | undefined;
}

/**
 * The last row this process committed for a run, so that the next write to it need not read it
 * back (and check its state against the schema) first. Only a hint: `updateRun`'s
 * compare-and-set still guards every write, and a stale entry (another engine process wrote the
 * run) costs one conflict, after which the row is read from the store. A decision on a cached row
 * that writes nothing (it refuses, or finds nothing to do) is checked against the stored row's
 * version, and made again if the row moved on. Entries are never handed out for mutation: a
 * decision parses its own copy of the state, and a task gets the tail's events frozen (copied and
 * frozen once, when cached: a copy per task was 3–5 MiB of W2's peak RSS).
 */
export class RunCache {
  readonly #runs = new Map<string, CachedRun>();
  /** The cached running run of each workflow id (namespace + id), for signals by id. */
  readonly #byWorkflow = new Map<string, string>();

  static of(store: Store): RunCache {
    return cacheOf(store);
  }

  get(runId: string): CachedRun | undefined {
    const hit = this.#runs.get(runId);
    if (hit) {
      this.#runs.delete(runId);
      this.#runs.set(runId, hit);
    }
    return hit;
  }

  /**
   * Keeps the row a commit wrote, with the events it appended (`previous` is the entry the
   * decision started from, if any); a closed run is dropped (it is rarely written again).
   */
  set(
    record: CachedRecord | RunRecord,
    state: RunState,
    stateJson: string,
    appended: readonly HistoryEvent[],
    previous: CachedRun | undefined,
    pending?: AppendToRunRequest,
  ): void {
    this.delete(record.runId);
    if (state.status !== RunStatus.Running) return;
    this.#byWorkflow.set(workflowKey(record.namespace, record.workflowId), record.runId);
    const tail = nextTail(previous?.tail, appended, state.previousStartedEventId);
    // A fresh array: the previous tail's events are frozen copies already; the appended ones are
    // replaced by theirs.
    tail?.forEach((e, i) => {
      if (!Object.isFrozen(e)) tail[i] = frozenCopy(e);
    });
    this.#runs.set(record.runId, {
      record: withoutState(record),
      stateJson,
      tail,
      ...(pending !== undefined && { pending }),
    });
    if (this.#runs.size > MAX_CACHED_RUNS) {
      // The least recently used entry whose write is committed: one ahead of the store (a
      // lingering write) is what the run's next decision must start from.
      for (const [key, entry] of this.#runs) {
        if (entry.pending !== undefined) continue;
        this.delete(key);
        break;
      }
    }
  }

  /** The lingering write that left a run's cached row has committed: nothing depends on it now. */
  committed(runId: string, write: AppendToRunRequest): void {
    const hit = this.#runs.get(runId);
    if (hit?.pending === write) this.#runs.set(runId, { ...hit, pending: undefined });
  }

  /**
   * The run's stored events from `fromEventId` to the end of its history, frozen, if the cache
   * holds all of them; undefined otherwise (read the store).
   */
  eventsFrom(runId: string, fromEventId: number): HistoryEvent[] | undefined {
    const hit = this.#runs.get(runId);
    const tail = hit?.tail;
    if (hit === undefined || tail === undefined) return undefined;
    const first = tail[0]?.eventId ?? hit.record.nextEventId;
    if (first > fromEventId) return undefined;
    return tail.filter((e) => e.eventId >= fromEventId);
  }

  /**
   * The running run of a workflow id this process last wrote, if cached: a hint, as every entry
   * (another engine process may have closed it and started another since; updateRun finds out).
   */
  runningRunOf(namespace: string, workflowId: string): CachedRun | undefined {
    const runId = this.#byWorkflow.get(workflowKey(namespace, workflowId));
    return runId === undefined ? undefined : this.#runs.get(runId);
  }

  delete(runId: string): void {
    const hit = this.#runs.get(runId);
    if (hit === undefined) return;
    this.#runs.delete(runId);
    const key = workflowKey(hit.record.namespace, hit.record.workflowId);
    if (this.#byWorkflow.get(key) === runId) this.#byWorkflow.delete(key);
  }
}

/** `record` without what {@link CachedRecord} leaves out (the parts of a decision's state). */
function withoutState(record: CachedRecord | RunRecord): CachedRecord {
  if (!('state' in record) && !('memo' in record) && !('searchAttributes' in record)) {
    return record;
  }
  const { state, memo, searchAttributes, ...rest } = record as RunRecord;
  return rest;
}

function workflowKey(namespace: string, workflowId: string): string {
  return `${namespace}\u0000${workflowId}`;
}

/** The events after `previousStartedEventId`, when `previous` and `appended` cover them all. */
function nextTail(
  previous: readonly HistoryEvent[] | undefined,
  appended: readonly HistoryEvent[],
  previousStartedEventId: number,
): HistoryEvent[] | undefined {
  const all = previous === undefined ? appended : [...previous, ...appended];
  const first = all[0]?.eventId;
  if (first === undefined) return previous === undefined ? undefined : [];
  if (first > previousStartedEventId + 1) return undefined;
  return all.filter((e) => e.eventId > previousStartedEventId);
}

const cacheOf = perStore(() => new RunCache());

/**
 * A frozen copy of an event just appended: history is never changed, so what the cache hands out
 * need not be copied again. A copy, because an event may hold the caller's own objects (a
 * start's memo, a failure's details), which must stay theirs to change.
 */
function frozenCopy(event: HistoryEvent): HistoryEvent {
  return deepFreeze(cloneData(event));
}
