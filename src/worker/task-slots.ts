// The slots a worker's tasks run in, one pool per kind: a counting semaphore for the default and
// fixed-size suppliers (no promise or call beyond the semaphore's on a task's path), or the
// user's custom supplier (and the resource-based one, built as a custom one) behind the same
// interface.
import { setMaxListeners } from 'node:events';
import { abortableDelay } from '../util/abortable-delay.ts';
import { SharedSignal, withEitherSignal } from '../util/linked-signal.ts';
import type { Logger } from '../logger.ts';
import { Semaphore } from '../util/semaphore.ts';
import { promiseOf } from '../util/promise-of.ts';
import { ensureError } from '../errors.ts';
import type {
  CustomSlotSupplier,
  ResolvedSupplier,
  SlotInfo,
  SlotKind,
  SlotPermit,
  SlotReserveContext,
} from './worker-tuner.ts';
import { ResourceBasedSlots } from './resource-based-slots.ts';

/** A slot a supplier handed out, with the task that took it once one did. */
export interface SuppliedSlot {
  readonly permit: SlotPermit;
  /** Taken for a task that comes eagerly (tryReserveSlot), not for a poll. */
  readonly eager: boolean;
  info: SlotInfo | undefined;
}

/** A slot held: `true` from a counting pool, a {@link SuppliedSlot} from a supplier. */
export type HeldSlot = true | SuppliedSlot;

/** One kind's slots, as the poll loops, eager dispatch and local activities take them. */
export interface TaskSlots<T> {
  /** A slot, waiting for one; false once {@link stop} was called. */
  acquireUnlessStopped(): Promise<HeldSlot | false>;
  /** A slot, waiting for one; false when `abort` fires first (or after {@link stop}). */
  acquireUntil(abort: AbortSignal): Promise<HeldSlot | false>;
  /** A slot for a task that may come eagerly, if one is free now; never waits. */
  tryAcquire(): HeldSlot | false;
  /**
   * A slot free now in a counting pool, without waiting or creating anything: the fast path
   * before {@link acquireUntil}. Always false for a supplier, which is asked only through it.
   */
  takeFree(): HeldSlot | false;
  /** `task` now occupies `slot`. */
  markUsed(slot: HeldSlot, task: T): void;
  /** `slot` is free again, used or not. */
  release(slot: HeldSlot): void;
  /** Wakes every wait with false (the worker's shutdown). */
  stop(): void;
  /** Slots free now, for the slots-available gauge; undefined when the supplier does not say. */
  readonly free: number | undefined;
  /**
   * How many slots there are; undefined for a supplier, which does not count them (a worker then
   * opens 10 polls of the kind, as Temporal's).
   */
  readonly size: number | undefined;
}

/** A counting pool of `numSlots`: the default, and fixed-size suppliers. */
export class FixedSlots extends Semaphore implements TaskSlots<unknown> {
  readonly size: number;

  constructor(slots: number) {
    super(slots);
    this.size = slots;
  }

  takeFree(): boolean {
    return this.tryAcquire();
  }

  /** Nothing to tell anyone. */
  markUsed(): void {
    // A counting pool does not care which task took a slot.
  }
}

/** How long the worker waits before asking a `reserveSlot` that threw again, as Temporal's core. */
export const RESERVE_RETRY_MS = 1000;

/**
 * A supplier's slots: `reserveSlot` with the worker's stop (and a caller's abort) as its signal,
 * asked again after {@link RESERVE_RETRY_MS} when it throws; errors of the other calls logged.
 */
export class SuppliedSlots<T> implements TaskSlots<T> {
  readonly free = undefined;
  readonly size = undefined;
  readonly #supplier: CustomSlotSupplier<SlotInfo>;
  readonly #ctx: SlotReserveContext;
  readonly #eagerCtx: SlotReserveContext;
  readonly #infoOf: (task: T, eager: boolean) => SlotInfo;
  readonly #logger: Logger;
  readonly #stop = new AbortController();
  /** The stop, as the local activities' reservations hear it: many at once, each in O(1). */
  readonly #stopping = new SharedSignal(this.#stop.signal);
  readonly #retryMs: number;

  constructor(opts: {
    supplier: CustomSlotSupplier<SlotInfo>;
    ctx: Omit<SlotReserveContext, 'isSticky'>;
    /** Whether a slot for an eager task is sticky (workflow tasks: the worker holds the run). */
    eagerIsSticky: boolean;
    infoOf: (task: T, eager: boolean) => SlotInfo;
    logger: Logger;
    retryMs?: number | undefined;
  }) {
    this.#supplier = opts.supplier;
    this.#ctx = Object.freeze({ ...opts.ctx, isSticky: false });
    this.#eagerCtx = Object.freeze({ ...opts.ctx, isSticky: opts.eagerIsSticky });
    this.#infoOf = opts.infoOf;
    this.#logger = opts.logger;
    this.#retryMs = opts.retryMs ?? RESERVE_RETRY_MS;
    // The poll loops' reservations listen for the stop on it directly, and the supplier may too.
    setMaxListeners(0, this.#stop.signal);
  }

  acquireUnlessStopped(): Promise<SuppliedSlot | false> {
    return this.#reserve(this.#stop.signal);
  }

  acquireUntil(abort: AbortSignal): Promise<SuppliedSlot | false> {
    return withEitherSignal(abort, this.#stopping, (signal) => this.#reserve(signal));
  }

  async #reserve(signal: AbortSignal): Promise<SuppliedSlot | false> {
    // A function, not the property: the loop's condition would narrow it to false past awaits.
    const aborted = (): boolean => signal.aborted;
    while (!aborted()) {
      let permit: SlotPermit;
      try {
        permit = await this.#reserveOnce(signal);
      } catch (e) {
        if (aborted()) return false;
        this.#log(e, 'reserveSlot', `; asking again in ${this.#retryMs} ms`);
        await abortableDelay(this.#retryMs, signal);
        continue;
      }
      const slot: SuppliedSlot = { permit, eager: false, info: undefined };
      if (!aborted()) return slot;
      // Handed out after all, but no longer wanted: given back unused.
      this.release(slot);
    }
    return false;
  }

  /**
   * The supplier's `reserveSlot`, settled by `signal` even if the supplier ignores it (as
   * Temporal's core drops the call): a worker's shutdown never waits for a slot, and a permit
   * handed out after the abort is given back unused.
   */
  #reserveOnce(signal: AbortSignal): Promise<SlotPermit> {
    // Promise.resolve: a supplier's plain value is a permit too.
    const reserving = promiseOf(() =>
      Promise.resolve(this.#supplier.reserveSlot(this.#ctx, signal)),
    );
    return new Promise<SlotPermit>((resolve, reject) => {
      const onAbort = (): void => {
        reject(signal.reason as Error);
        reserving.then(
          (permit) => {
            this.release({ permit, eager: false, info: undefined });
          },
          () => undefined,
        );
      };
      signal.addEventListener('abort', onAbort, { once: true });
      reserving.then(
        (permit) => {
          signal.removeEventListener('abort', onAbort);
          resolve(permit);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(ensureError(e));
        },
      );
    });
  }

  tryAcquire(): SuppliedSlot | false {
    let permit: SlotPermit | null | undefined;
    try {
      permit = this.#supplier.tryReserveSlot(this.#eagerCtx);
    } catch (e) {
      this.#log(e, 'tryReserveSlot', ': no slot');
      return false;
    }
    return permit === null || permit === undefined
      ? false
      : { permit, eager: true, info: undefined };
  }

  takeFree(): false {
    return false;
  }

  markUsed(slot: HeldSlot, task: T): void {
    if (slot === true) return;
    const info = this.#infoOf(task, slot.eager);
    slot.info = info;
    try {
      this.#supplier.markSlotUsed({ slotInfo: info, permit: slot.permit });
    } catch (e) {
      this.#log(e, 'markSlotUsed', '');
    }
  }

  release(slot: HeldSlot): void {
    if (slot === true) return;
    try {
      this.#supplier.releaseSlot(
        slot.info === undefined
          ? { permit: slot.permit }
          : { slotInfo: slot.info, permit: slot.permit },
      );
    } catch (e) {
      this.#log(e, 'releaseSlot', '');
    }
  }

  stop(): void {
    this.#stop.abort();
  }

  /** A logger that throws must not take the slot's bookkeeping with it. */
  #log(e: unknown, call: string, then: string): void {
    try {
      this.#logger.error(
        { err: e, slotType: this.#ctx.slotType },
        `the ${this.#ctx.slotType} slot supplier's ${call} threw${then}`,
      );
    } catch {
      // Nowhere left to report it.
    }
  }
}

/** What the worker knows to build a kind's slots from its supplier. */
export interface SlotsContext {
  taskQueue: string;
  workerIdentity: string;
  workerBuildId: string;
  logger: Logger;
}

/**
 * A kind's slots: a counting pool of `defaultSlots` without a tuner, or of a fixed-size
 * supplier's `numSlots`; else the supplier's.
 */
export function taskSlots<T>(
  kind: SlotKind,
  supplier: ResolvedSupplier | undefined,
  defaultSlots: number,
  ctx: SlotsContext,
  infoOf: (task: T, eager: boolean) => SlotInfo,
): TaskSlots<T> {
  if (supplier === undefined) return new FixedSlots(defaultSlots);
  if (supplier.type === 'fixed-size') return new FixedSlots(supplier.numSlots);
  return new SuppliedSlots({
    supplier: supplier.type === 'custom' ? supplier.supplier : new ResourceBasedSlots(supplier),
    ctx: {
      slotType: kind,
      taskQueue: ctx.taskQueue,
      workerIdentity: ctx.workerIdentity,
      workerBuildId: ctx.workerBuildId,
    },
    eagerIsSticky: kind === 'workflow',
    infoOf,
    logger: ctx.logger,
  });
}
