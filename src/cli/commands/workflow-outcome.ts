// How `workflow execute` and `workflow result` report how a workflow ended.
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowFailedError,
} from 'reprise/client';
import type { WorkflowHandle } from 'reprise/client';
import type { CliContext } from '../cli-context.ts';
import type { OutputFormat } from '../flags.ts';
import { inlineJson, printFields, printJson } from '../output.ts';

/** How a run ended, as `result` prints it. */
export type Outcome =
  | { readonly status: 'Completed'; readonly result: unknown }
  | {
      readonly status: 'Failed' | 'Canceled' | 'Terminated' | 'TimedOut';
      readonly failure: { readonly message: string; readonly type?: string | undefined };
    };

/** Waits for the workflow's result; a failed, cancelled, terminated or timed-out run is an outcome too. */
export async function awaitOutcome(handle: WorkflowHandle): Promise<Outcome> {
  try {
    return { status: 'Completed', result: await handle.result() };
  } catch (e) {
    if (!(e instanceof WorkflowFailedError)) throw e;
    const cause = e.cause instanceof Error ? e.cause : e;
    return {
      status: statusOf(cause),
      failure: {
        message: cause.message,
        type: cause instanceof ApplicationFailure ? cause.type : undefined,
      },
    };
  }
}

function statusOf(cause: Error): 'Failed' | 'Canceled' | 'Terminated' | 'TimedOut' {
  if (cause instanceof CancelledFailure) return 'Canceled';
  if (cause instanceof TerminatedFailure) return 'Terminated';
  if (cause instanceof TimeoutFailure) return 'TimedOut';
  return 'Failed';
}

function printOutcomeText(context: CliContext, outcome: Outcome): void {
  context.io.out('Results:\n');
  if (outcome.status === 'Completed') {
    printFields(context.io, [
      ['Status', outcome.status],
      ['Result', inlineJson(outcome.result)],
    ]);
    return;
  }
  printFields(context.io, [
    ['Status', outcome.status],
    ['Failure', outcome.failure.message],
    ['Type', outcome.failure.type],
  ]);
  context.setExitCode(1);
}

/** Prints the outcome in `format`; a run that did not complete makes the command exit 1. */
export function printOutcome(
  context: CliContext,
  format: OutputFormat,
  outcome: Outcome,
  json: Record<string, unknown> = {},
): void {
  if (format === 'text') {
    printOutcomeText(context, outcome);
    return;
  }
  printJson(context.io, { ...json, ...outcome });
  if (outcome.status !== 'Completed') context.setExitCode(1);
}
