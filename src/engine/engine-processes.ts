import { randomUUID } from 'node:crypto';
import type { EngineProcessRecord } from '../store/store.ts';
import type { EngineDeps } from './deps.ts';
import { reclaimTasksHeldBy } from './ops/reclaim-held-tasks.ts';
import { canCheck, isGone, thisProcess } from './process-liveness.ts';

/**
 * How often an engine looks for engine processes on its store that died: a read of a few rows
 * and a /proc lookup per other process, about 0.1 ms; it bounds how long their tasks wait.
 */
const CHECK_EVERY_MS = 250;
/** How often an engine refreshes its own record's `seenAtMs`. */
const REFRESH_EVERY_MS = 60_000;
/**
 * A record of a process whose pid cannot be checked from here (another host or container) that
 * is not refreshed for this long, as this engine sees it, is a process that died: what it held is
 * taken back too, late but before long timeouts.
 */
const FORGET_AFTER_MS = 60 * 60_000;

/** A new engine process id. */
export function newProcessId(): string {
  return randomUUID();
}

/**
 * This engine's record among the engine processes of its store, and the watch over the others
 * (ADR 0012). When another engine process on this host is gone (its pid exited, or now belongs
 * to another process), one engine removes its record — which frees its timer leases — and times
 * out at once the started tasks it had handed to workers in its process, instead of waiting for
 * their timeouts: a worker's crash costs its tasks a fraction of a second, not their
 * start-to-close.
 */
export class EngineProcesses {
  readonly #deps: EngineDeps;
  readonly #startedAtMs = Date.now();
  #lastRefreshMs = 0;
  #interval: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #closed = false;
  /** Records of processes this engine cannot check, by id: since when their seenAtMs stands. */
  readonly #unrefreshed = new Map<string, { seenAtMs: number; sinceMs: number }>();

  constructor(deps: EngineDeps) {
    this.#deps = deps;
  }

  /** Records this process, takes back what dead ones held, then checks every 250 ms. */
  async start(): Promise<void> {
    await this.#refresh();
    await this.check();
    this.#interval = setInterval(() => {
      void this.check();
    }, CHECK_EVERY_MS);
    this.#interval.unref();
  }

  /** One look at the other engine processes (one at a time: a look in progress is shared). */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /** Stops watching and removes this process's record (freeing its timer leases). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#interval);
    await this.#checking;
    await this.#deps.store.removeEngineProcess({ processId: this.#deps.processId });
  }

  async #refresh(): Promise<void> {
    const now = Date.now();
    this.#lastRefreshMs = performance.now();
    const me = thisProcess();
    await this.#deps.store.registerEngineProcess({
      processId: this.#deps.processId,
      hostKey: me.hostKey,
      pid: me.pid,
      pidStart: me.pidStart,
      startedAtMs: this.#startedAtMs,
      seenAtMs: now,
    });
  }

  async #check(): Promise<void> {
    const deps = this.#deps;
    try {
      if (performance.now() - this.#lastRefreshMs >= REFRESH_EVERY_MS) await this.#refresh();
      const begun = deps.peers.lookBegins();
      const records = await deps.store.listEngineProcesses();
      const listed = new Set(records.map((p) => p.processId));
      let others = false;
      for (const id of this.#unrefreshed.keys()) if (!listed.has(id)) this.#unrefreshed.delete(id);
      for (const p of records) {
        if (this.#closed) return;
        if (p.processId === deps.processId) continue;
        const cause = whyGone(p, this.#unrefreshed);
        if (cause === undefined) {
          others = true;
          continue;
        }
        // Exactly one engine wins the removal, and with it the dead process's tasks.
        if (!(await deps.store.removeEngineProcess({ processId: p.processId }))) continue;
        deps.onTimerWritten(deps.clock.now());
        const runs = await reclaimTasksHeldBy(deps, p.processId, cause);
        deps.logger.info(
          { processId: p.processId, pid: p.pid, runs },
          `An engine process on this store is gone (${cause}); the tasks it held were given out again.`,
        );
      }
      deps.peers.lookEnded(begun, others);
    } catch (e) {
      deps.peers.lookFailed();
      deps.logger.warn({ err: e }, 'looking for engine processes that died failed');
    }
  }
}

/**
 * Why `p` is taken for dead, or undefined while it may be alive. A process on this host is judged
 * by its pid only. One elsewhere (or with no /proc) only by its record going unrefreshed for
 * FORGET_AFTER_MS, counted on this process's monotonic clock from when this engine last saw the
 * record change: a wall clock that jumps, or a host that slept, does not age it.
 */
function whyGone(
  p: EngineProcessRecord,
  unrefreshed: Map<string, { seenAtMs: number; sinceMs: number }>,
): string | undefined {
  if (canCheck(p)) return isGone(p) ? `its worker's process (pid ${p.pid}) exited` : undefined;
  const now = performance.now();
  const last = unrefreshed.get(p.processId);
  if (last?.seenAtMs !== p.seenAtMs) {
    unrefreshed.set(p.processId, { seenAtMs: p.seenAtMs, sinceMs: now });
    return undefined;
  }
  const minutes = Math.round((now - last.sinceMs) / 60_000);
  return now - last.sinceMs > FORGET_AFTER_MS
    ? `its worker's process (pid ${p.pid}, elsewhere) did not refresh its record for ${minutes} minutes`
    : undefined;
}
