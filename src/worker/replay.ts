import {
  DeterminismViolationError,
  InvalidArgumentError,
  ReplayError,
  ensureError,
} from '../errors.ts';
import { decodeFailure } from '../failures.ts';
import { HistoryEvent } from '../protocol/history-events.ts';
import * as z from 'zod';
import { loadWorkflows } from './workflow-loader.ts';
import { pluggedWorkflowSourceOf } from './workflow-bundle.ts';
import { configureWithPlugins } from '../common/plugins.ts';
import type { WorkerPlugin } from './plugin.ts';
import type { BundlerOptions, WorkflowBundleOption } from './workflow-bundle.ts';
import type { LoadedWorkflows } from './workflow-loader.ts';
import type { WorkerInterceptors } from './interceptors.ts';
import { defaultLogger } from '../logger.ts';
import { assertSinks, runSinkCalls } from './sinks.ts';
import type { InjectedSinks } from './sinks.ts';
import type { Sinks } from '../workflow/sinks.ts';
import { noopMetricMeter } from '../common/metrics.ts';
import { withWorkflowMetricsSink } from './worker-metrics.ts';

export interface ReplayWorkerOptions {
  /** The workflow code to check: `.ts` or `.js`, ESM or CommonJS. */
  readonly workflowsPath?: string | undefined;
  /** Or the code bundled ahead of time (`bundleWorkflowCode`). */
  readonly workflowBundle?: WorkflowBundleOption | undefined;
  /** As the worker's: how `workflowsPath` is bundled (`ignoreModules`). */
  readonly bundlerOptions?: BundlerOptions | undefined;
  readonly namespace?: string | undefined;
  /** The worker's interceptors: `workflowModules` run in the replay as they did live. */
  readonly interceptors?: WorkerInterceptors | undefined;
  /** As the worker's: no deadlock detection, so a debugger can stop in the replayed code. */
  readonly debugMode?: boolean | undefined;
  /**
   * As the worker's: a replay calls only the sink functions registered with
   * `callDuringReplay: true`, and counts every call as replaying (`info.unsafe.isReplaying`).
   */
  readonly sinks?: InjectedSinks<Sinks> | undefined;
  /**
   * Temporal's worker plugins: each one's `configureReplayWorker` is given these options, in the
   * order listed, and the replay uses what the last returns; those with `configureBundler`
   * configure the bundling of `workflowsPath` (docs/plugins.md).
   */
  readonly plugins?: readonly WorkerPlugin[] | undefined;
}

/** A history as `handle.fetchHistory()` returns it, or its JSON (an object with `events`). */
export type ReplayableHistory = { readonly events: readonly unknown[] } | readonly unknown[];

export interface ReplayResult {
  readonly workflowId: string;
  /** The replayed run's id: the history's `runId`, or the one its start event names. */
  readonly runId: string;
  /** Undefined when the code replays the history exactly. */
  readonly error: Error | undefined;
}

const Events = z.array(HistoryEvent);

function parseHistory(history: ReplayableHistory): HistoryEvent[] {
  const raw = Array.isArray(history) ? history : (history as { events: readonly unknown[] }).events;
  const parsed = Events.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `Not a Reprise history: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}. ` +
        'Pass what handle.fetchHistory() returns, or its JSON.',
    );
  }
  const first = parsed.data[0];
  if (first?.type !== 'WorkflowExecutionStarted') {
    throw new InvalidArgumentError('A history must start with WorkflowExecutionStarted.');
  }
  return parsed.data;
}

async function replayOne(
  workflows: LoadedWorkflows,
  options: ReplayWorkerOptions,
  history: ReplayableHistory,
): Promise<{ runId: string; error: Error | undefined }> {
  const namespace = options.namespace ?? 'default';
  const events = parseHistory(history);
  const started = events[0];
  if (started?.type !== 'WorkflowExecutionStarted') {
    throw new InvalidArgumentError('A history must start with WorkflowExecutionStarted.');
  }
  // The run's own id seeds its random source: fetchHistory()'s answer gives it; the events alone
  // name it in the start when it is not the chain's first run (a retry or a continued run).
  const given = Array.isArray(history) ? undefined : (history as { runId?: unknown }).runId;
  const runId =
    typeof given === 'string'
      ? given
      : (started.originalExecutionRunId ?? started.firstExecutionRunId);
  const run = workflows.createRun({
    namespace,
    workflowId: started.workflowId,
    runId,
    workflowType: started.workflowType,
  });
  let result: Awaited<ReturnType<typeof run.replayShared>>;
  try {
    result = await run.replayShared(events).finally(() => {
      const calls = run.takeSinkCalls();
      return calls === undefined
        ? undefined
        : runSinkCalls(withWorkflowMetricsSink(options.sinks, noopMetricMeter), calls, {
            replayWorker: true,
            logger: defaultLogger({ component: 'replay' }),
            source: { workflowId: started.workflowId, runId, workflowType: started.workflowType },
          });
    });
  } catch (e) {
    return { runId, error: ensureError(e) };
  } finally {
    run.dispose();
  }
  if (result.status !== 'failed') return { runId, error: undefined };
  if (result.cause === 'NonDeterminism') {
    return { runId, error: new DeterminismViolationError(result.failure.message) };
  }
  const error = new ReplayError(`Replay failed: ${result.failure.message}`, {
    cause: decodeFailure(result.failure),
  });
  return { runId, error };
}

/** The replay's options as its plugins configure them, and its workflow code loaded. */
async function loadReplayed(
  given: ReplayWorkerOptions,
): Promise<{ workflows: LoadedWorkflows; options: ReplayWorkerOptions }> {
  const where = 'Worker.runReplayHistory';
  const options = await configureWithPlugins(given.plugins, 'configureReplayWorker', given, where);
  assertSinks(options.sinks);
  const source = await pluggedWorkflowSourceOf(options, where);
  if (source === undefined) {
    throw new InvalidArgumentError(
      'A replay needs workflowsPath or workflowBundle: the code to check.',
    );
  }
  return { workflows: await loadWorkflows(source, { debugMode: options.debugMode }), options };
}

/**
 * Replays one history against `workflowsPath` and throws `DeterminismViolationError` if the code
 * no longer produces the commands the history recorded. Temporal's `Worker.runReplayHistory`.
 */
export async function runReplayHistory(
  options: ReplayWorkerOptions,
  history: ReplayableHistory,
): Promise<void> {
  const { workflows, options: configured } = await loadReplayed(options);
  try {
    const { error } = await replayOne(workflows, configured, history);
    if (error) throw error;
  } finally {
    workflows.dispose();
  }
}

/**
 * Replays many histories against one bundle of the code; yields one result per history, its
 * `error` the `DeterminismViolationError` or `ReplayError` the replay failed with. A history that
 * is not one throws `InvalidArgumentError`, ending the replays. Temporal's
 * `Worker.runReplayHistories`.
 */
export async function* runReplayHistories(
  options: ReplayWorkerOptions,
  histories:
    | Iterable<{ workflowId: string; history: ReplayableHistory }>
    | AsyncIterable<{ workflowId: string; history: ReplayableHistory }>,
): AsyncGenerator<ReplayResult> {
  const { workflows, options: configured } = await loadReplayed(options);
  try {
    for await (const { workflowId, history } of histories) {
      // A history that is not one throws, ending the replays, as in Temporal.
      const { runId, error } = await replayOne(workflows, configured, history);
      yield { workflowId, runId, error };
    }
  } finally {
    workflows.dispose();
  }
}
