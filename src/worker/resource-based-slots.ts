// Temporal's resource-based slot supplier, as a custom supplier the worker runs like any other:
// a slot is handed out while the machine's memory and CPU are under the tuner's targets, never
// fewer than `minimumSlots` at once and never more than `maximumSlots`, at least `rampThrottle`
// after the last one handed out past the minimum.
import { cpus, freemem, totalmem } from 'node:os';
import type {
  CustomSlotSupplier,
  ResolvedSupplier,
  SlotInfo,
  SlotPermit,
  SlotReserveContext,
} from './worker-tuner.ts';

/** What the supplier reads: fractions of 0 to 1, and the time in ms. */
export interface ResourceReadings {
  memoryUsage(): number;
  cpuUsage(): number;
  nowMs(): number;
}

/** How often a waiting `reserveSlot` looks at the readings again (Temporal's Java SDK: 10 ms). */
export const RECHECK_MS = 10;
/** CPU use is measured over at least this long: readings closer together reuse the last one. */
const CPU_WINDOW_MS = 100;

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/**
 * The machine's readings: memory in use (`os.freemem()` is what Linux counts available) and CPU
 * time in use across its cores since the previous reading at least 100 ms before.
 */
export function systemReadings(): ResourceReadings {
  let last = { ...cpuTimes(), atMs: performance.now() };
  let usage = last.total === 0 ? 0 : last.busy / last.total;
  return {
    memoryUsage: () => 1 - freemem() / totalmem(),
    cpuUsage: () => {
      const atMs = performance.now();
      if (atMs - last.atMs < CPU_WINDOW_MS) return usage;
      const now = { ...cpuTimes(), atMs };
      const total = now.total - last.total;
      if (total > 0) usage = (now.busy - last.busy) / total;
      last = now;
      return usage;
    },
    nowMs: () => performance.now(),
  };
}

type ResourceBased = Extract<ResolvedSupplier, { type: 'resource-based' }>;

const PERMIT: SlotPermit = Object.freeze({});

/** One kind's resource-based slots. */
export class ResourceBasedSlots implements CustomSlotSupplier<SlotInfo> {
  readonly type = 'custom';
  readonly #options: ResourceBased;
  readonly #readings: ResourceReadings;
  /** Slots handed out and not released. */
  #issued = 0;
  #lastIssuedAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: ResourceBased, readings: ResourceReadings = systemReadings()) {
    this.#options = options;
    this.#readings = readings;
  }

  /** Slots handed out and not yet released. */
  get issued(): number {
    return this.#issued;
  }

  /** Hands out a slot if the rules allow one now. */
  #admit(): boolean {
    const o = this.#options;
    const nowMs = this.#readings.nowMs();
    if (this.#issued >= o.minimumSlots) {
      if (this.#issued >= o.maximumSlots) return false;
      if (nowMs - this.#lastIssuedAtMs < o.rampThrottleMs) return false;
      const { targetMemoryUsage, targetCpuUsage } = o.tunerOptions;
      if (this.#readings.memoryUsage() >= targetMemoryUsage) return false;
      if (this.#readings.cpuUsage() >= targetCpuUsage) return false;
    }
    this.#issued++;
    this.#lastIssuedAtMs = nowMs;
    return true;
  }

  reserveSlot(_ctx: SlotReserveContext, abortSignal: AbortSignal): Promise<SlotPermit> {
    if (this.#admit()) return Promise.resolve(PERMIT);
    return new Promise<SlotPermit>((resolve, reject) => {
      const check = (): void => {
        if (this.#admit()) {
          abortSignal.removeEventListener('abort', onAbort);
          resolve(PERMIT);
        } else {
          timer = setTimeout(check, RECHECK_MS);
        }
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortSignal.reason as Error);
      };
      let timer = setTimeout(check, RECHECK_MS);
      abortSignal.addEventListener('abort', onAbort, { once: true });
    });
  }

  tryReserveSlot(): SlotPermit | null {
    return this.#admit() ? PERMIT : null;
  }

  markSlotUsed(): void {
    // The readings, not the tasks, decide.
  }

  releaseSlot(): void {
    this.#issued--;
  }
}
