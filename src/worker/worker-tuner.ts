// The worker's `tuner` option, as Temporal's `WorkerTuner`: how the worker hands out the slots a
// task needs before it is polled (or taken eagerly) and run, per kind of task. Its shape is
// checked here, at `Worker.create`; task-slots.ts runs it.
import * as z from 'zod';
import { InvalidArgumentError } from '../errors.ts';
import { msFromDuration } from '../protocol/duration.ts';
import type { Duration } from '../protocol/duration.ts';

/**
 * How the worker hands out its task slots: a supplier per kind of task ({@link TunerHolder}), or
 * one resource-based tuner for every kind ({@link ResourceBasedTuner}). Replaces
 * `maxConcurrentWorkflowTaskExecutions`, `maxConcurrentActivityTaskExecutions` and
 * `maxConcurrentLocalActivityExecutions`: given with any of them, `Worker.create` refuses it.
 */
export type WorkerTuner = ResourceBasedTuner | TunerHolder;

/** A slot supplier for each kind of task. */
export interface TunerHolder {
  workflowTaskSlotSupplier: SlotSupplier<WorkflowSlotInfo>;
  activityTaskSlotSupplier: SlotSupplier<ActivitySlotInfo>;
  localActivityTaskSlotSupplier: SlotSupplier<LocalActivitySlotInfo>;
  /** Checked as the others, and unused: Reprise has no Nexus tasks. */
  nexusTaskSlotSupplier?: SlotSupplier<NexusSlotInfo> | undefined;
}

/** How the slots of one kind of task are handed out. */
export type SlotSupplier<SI extends SlotInfo> =
  FixedSizeSlotSupplier | ResourceBasedSlotsForType | CustomSlotSupplier<SI>;

/** At most `numSlots` tasks of the kind at once: the same as the kind's `maxConcurrent…` option. */
export interface FixedSizeSlotSupplier {
  type: 'fixed-size';
  numSlots: number;
}

/** What a resource-based tuner keeps the process under: fractions of memory and CPU, 0 to 1. */
export interface ResourceBasedTunerOptions {
  /** The machine's memory in use, as a fraction of its total (or of the cgroup's limit). */
  targetMemoryUsage: number;
  /** The machine's CPU time in use, as a fraction of all its cores'. */
  targetCpuUsage: number;
}

/** The bounds of one kind's slots under a resource-based tuner. */
export interface ResourceBasedSlotOptions {
  /** Slots handed out whatever the readings. Default 2 for workflow tasks, 1 for the others. */
  minimumSlots?: number | undefined;
  /** Slots never exceeded. Default 1000 for workflow tasks, 2000 for the others. */
  maximumSlots?: number | undefined;
  /**
   * The least time between two slots handed out past `minimumSlots`. Default 10 ms for workflow
   * tasks, 50 ms for the others.
   */
  rampThrottle?: Duration | undefined;
}

/** One kind's slots handed out by resource use; every kind given one must share `tunerOptions`. */
export type ResourceBasedSlotsForType = ResourceBasedSlotOptions & {
  type: 'resource-based';
  tunerOptions: ResourceBasedTunerOptions;
};

/** Every kind's slots handed out by resource use, with one set of targets. */
export interface ResourceBasedTuner {
  tunerOptions: ResourceBasedTunerOptions;
  workflowTaskSlotOptions?: ResourceBasedSlotOptions | undefined;
  activityTaskSlotOptions?: ResourceBasedSlotOptions | undefined;
  localActivityTaskSlotOptions?: ResourceBasedSlotOptions | undefined;
  /** Checked, and unused: Reprise has no Nexus tasks. */
  nexusTaskSlotOptions?: ResourceBasedSlotOptions | undefined;
}

export type SlotInfo = WorkflowSlotInfo | ActivitySlotInfo | LocalActivitySlotInfo | NexusSlotInfo;

export interface WorkflowSlotInfo {
  type: 'workflow';
  workflowType: string;
  /** Whether the task came straight to this worker because it holds the run in its cache. */
  isSticky: boolean;
}

export interface ActivitySlotInfo {
  type: 'activity';
  activityType: string;
}

export interface LocalActivitySlotInfo {
  type: 'local-activity';
  activityType: string;
}

export interface NexusSlotInfo {
  type: 'nexus';
  service: string;
  operation: string;
}

/** What a custom supplier hands out for a slot; the worker gives it back as it is. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- Temporal's: the user's own data
export interface SlotPermit {}

export interface SlotReserveContext {
  slotType: SlotInfo['type'];
  taskQueue: string;
  workerIdentity: string;
  /** The worker's `buildId`, or '' without one. */
  workerBuildId: string;
  /**
   * True for the slot of a workflow task that comes straight to this worker because it holds the
   * run (the eager workflow task an activity's result brings).
   */
  isSticky: boolean;
}

export interface SlotMarkUsedContext<SI extends SlotInfo> {
  slotInfo: SI;
  permit: SlotPermit;
}

export interface SlotReleaseContext<SI extends SlotInfo> {
  /** The task that used the slot; absent when none did (the poll that held it got nothing). */
  slotInfo?: SI | undefined;
  permit: SlotPermit;
}

/**
 * Slots handed out by your code, as Temporal's. The worker calls `reserveSlot` before it polls
 * for a task of the kind (and before a local activity attempt starts), `tryReserveSlot` when a
 * task could come to it eagerly (an activity scheduled by its own workflow task, a workflow task
 * brought by an activity's result), `markSlotUsed` once a task occupies the slot and
 * `releaseSlot` when the slot is free again, used or not. `reserveSlot` that throws (other than
 * on `abortSignal`) is logged and asked again after a second; errors from the others are logged
 * (a throwing `tryReserveSlot` gives no slot).
 */
export interface CustomSlotSupplier<SI extends SlotInfo> {
  type: 'custom';
  /**
   * Resolves with a permit once a slot is free. `abortSignal` fires when the worker no longer
   * needs it (it shuts down; a local activity's wait timed out): reject then.
   */
  reserveSlot(ctx: SlotReserveContext, abortSignal: AbortSignal): Promise<SlotPermit>;
  /** A permit if a slot is free now, else null or undefined; must not block. */
  tryReserveSlot(ctx: SlotReserveContext): SlotPermit | null | undefined;
  markSlotUsed(ctx: SlotMarkUsedContext<SI>): void;
  releaseSlot(ctx: SlotReleaseContext<SI>): void;
}

/** One kind's supplier as the worker runs it. */
export type ResolvedSupplier =
  | { type: 'fixed-size'; numSlots: number }
  | {
      type: 'resource-based';
      tunerOptions: ResourceBasedTunerOptions;
      minimumSlots: number;
      maximumSlots: number;
      rampThrottleMs: number;
    }
  | { type: 'custom'; supplier: CustomSlotSupplier<SlotInfo> };

export type SlotKind = 'workflow' | 'activity' | 'local-activity';

/** The tuner checked, a supplier per kind the worker runs. */
export type ResolvedTuner = Record<SlotKind, ResolvedSupplier>;

const count = z.number().int().min(1);
const fraction = z.number().min(0).max(1);
const duration = z.custom<Duration>(
  (v) => {
    try {
      msFromDuration(v as Duration);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a duration (milliseconds, or a string such as "50ms")' },
);
const TunerOptions = z.strictObject({ targetMemoryUsage: fraction, targetCpuUsage: fraction });
const slotOptionsShape = {
  minimumSlots: count.optional(),
  maximumSlots: count.optional(),
  rampThrottle: duration.optional(),
};
const SlotOptions = z.strictObject(slotOptionsShape);
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
  error: 'expected a function',
});
const Supplier = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('fixed-size'), numSlots: count }),
  z.strictObject({
    type: z.literal('resource-based'),
    tunerOptions: TunerOptions,
    ...slotOptionsShape,
  }),
  // Not strict: a class instance carries what else it likes.
  z.looseObject({
    type: z.literal('custom'),
    reserveSlot: fn,
    tryReserveSlot: fn,
    markSlotUsed: fn,
    releaseSlot: fn,
  }),
]);
const Holder = z.strictObject({
  workflowTaskSlotSupplier: Supplier,
  activityTaskSlotSupplier: Supplier,
  localActivityTaskSlotSupplier: Supplier,
  nexusTaskSlotSupplier: Supplier.optional(),
});
const ResourceTuner = z.strictObject({
  tunerOptions: TunerOptions,
  workflowTaskSlotOptions: SlotOptions.optional(),
  activityTaskSlotOptions: SlotOptions.optional(),
  localActivityTaskSlotOptions: SlotOptions.optional(),
  nexusTaskSlotOptions: SlotOptions.optional(),
});

/** Temporal's defaults: workflow tasks 2 to 1000 slots, 10 ms apart; the others 1 to 2000, 50 ms. */
function withDefaults(
  kind: SlotKind,
  tunerOptions: ResourceBasedTunerOptions,
  o: ResourceBasedSlotOptions,
): ResolvedSupplier {
  const wf = kind === 'workflow';
  const minimumSlots = o.minimumSlots ?? (wf ? 2 : 1);
  const maximumSlots = o.maximumSlots ?? (wf ? 1000 : 2000);
  if (minimumSlots > maximumSlots) {
    throw new InvalidArgumentError(
      `Worker option tuner: the ${kind} slots' minimumSlots (${minimumSlots}) exceeds their maximumSlots (${maximumSlots}).`,
    );
  }
  return {
    type: 'resource-based',
    tunerOptions: { ...tunerOptions },
    minimumSlots,
    maximumSlots,
    rampThrottleMs: msFromDuration(o.rampThrottle ?? (wf ? 10 : 50)),
  };
}

const EXCLUSIVE = [
  'maxConcurrentWorkflowTaskExecutions',
  'maxConcurrentActivityTaskExecutions',
  'maxConcurrentLocalActivityExecutions',
] as const;

/**
 * The worker's `tuner`, checked and with its defaults, or undefined without one. Refused with
 * InvalidArgumentError: a bad shape, a `maxConcurrent…Executions` option beside it (as Temporal,
 * which throws a TypeError), or resource-based suppliers with different `tunerOptions`.
 */
export function resolveTuner(options: {
  readonly tuner?: WorkerTuner | undefined;
  readonly maxConcurrentWorkflowTaskExecutions?: number | undefined;
  readonly maxConcurrentActivityTaskExecutions?: number | undefined;
  readonly maxConcurrentLocalActivityExecutions?: number | undefined;
}): ResolvedTuner | undefined {
  const tuner = options.tuner;
  if (tuner === undefined) return undefined;
  for (const name of EXCLUSIVE) {
    if (options[name] !== undefined) {
      throw new InvalidArgumentError(
        `Cannot set both tuner and ${name}: the tuner decides every kind's slots. Give the kind a { type: 'fixed-size', numSlots } supplier instead.`,
      );
    }
  }
  const isHolder = typeof tuner === 'object' && Object.hasOwn(tuner, 'workflowTaskSlotSupplier');
  const parsed = isHolder ? Holder.safeParse(tuner) : ResourceTuner.safeParse(tuner);
  if (!parsed.success) {
    const shape = isHolder
      ? '{ workflowTaskSlotSupplier, activityTaskSlotSupplier, localActivityTaskSlotSupplier }, each { type: "fixed-size", numSlots }, { type: "resource-based", tunerOptions, … } or { type: "custom", reserveSlot, tryReserveSlot, markSlotUsed, releaseSlot }'
      : '{ tunerOptions: { targetMemoryUsage, targetCpuUsage }, workflowTaskSlotOptions?, activityTaskSlotOptions?, localActivityTaskSlotOptions? }, or a supplier per kind';
    throw new InvalidArgumentError(
      `Worker option tuner is not a tuner: ${parsed.error.issues
        .map((i) => `${['tuner', ...i.path.map(String)].join('.')}: ${i.message}`)
        .join('; ')}. It takes ${shape}.`,
    );
  }
  if (!isHolder) {
    const t = tuner as ResourceBasedTuner;
    return {
      workflow: withDefaults('workflow', t.tunerOptions, t.workflowTaskSlotOptions ?? {}),
      activity: withDefaults('activity', t.tunerOptions, t.activityTaskSlotOptions ?? {}),
      'local-activity': withDefaults(
        'local-activity',
        t.tunerOptions,
        t.localActivityTaskSlotOptions ?? {},
      ),
    };
  }
  const h = tuner as TunerHolder;
  const resolve = (kind: SlotKind, s: SlotSupplier<SlotInfo>): ResolvedSupplier => {
    if (s.type === 'fixed-size') return { type: 'fixed-size', numSlots: s.numSlots };
    if (s.type === 'custom') return { type: 'custom', supplier: s };
    return withDefaults(kind, s.tunerOptions, s);
  };
  const resolved: ResolvedTuner = {
    workflow: resolve('workflow', h.workflowTaskSlotSupplier),
    activity: resolve('activity', h.activityTaskSlotSupplier),
    'local-activity': resolve('local-activity', h.localActivityTaskSlotSupplier),
  };
  let targets: ResourceBasedTunerOptions | undefined;
  for (const s of Object.values(resolved)) {
    if (s.type !== 'resource-based') continue;
    targets ??= s.tunerOptions;
    if (
      targets.targetCpuUsage !== s.tunerOptions.targetCpuUsage ||
      targets.targetMemoryUsage !== s.tunerOptions.targetMemoryUsage
    ) {
      throw new InvalidArgumentError(
        'Worker option tuner: its resource-based suppliers have different tunerOptions; they share one set of targets (as Temporal, which refuses them too).',
      );
    }
  }
  return resolved;
}
