// `reprise workflow query|stack|signal|update|cancel|terminate`: talk to a running workflow.
import type { Command } from 'commander';
import * as z from 'zod';
import type { CliContext } from '../cli-context.ts';
import { addInputFlag, Inputs } from '../flags.ts';
import type { OutputFormat } from '../flags.ts';
import { inlineJson, printJson } from '../output.ts';
import { ExecutionFlags, executionCommand } from './execution-flags.ts';

/** The built-in query that answers with where the workflow waits. Temporal's. */
const STACK_TRACE_QUERY = '__stack_trace';

const MessageFlags = ExecutionFlags.extend({
  name: z.string().min(1),
  input: Inputs,
});

/** `--name` (the signal, query or update) and its `--input` arguments. */
function messageOptions(what: string): (command: Command) => Command {
  return (command) => addInputFlag(command.requiredOption('--name <name>', `the ${what} name`));
}

/** Prints what the command did: `json` in json, `text` (a line) in text. */
function report(context: CliContext, output: OutputFormat, json: object, text: string): void {
  if (output === 'json') printJson(context.io, json);
  else context.io.out(`${text}\n`);
}

/** Prints a value a workflow answered with: as JSON on one line in text, `{ result }` in json. */
function printAnswer(context: CliContext, output: OutputFormat, value: unknown): void {
  report(context, output, { result: value }, inlineJson(value));
}

/** `reprise workflow query`: asks a workflow a question and prints its answer. */
export function workflowQueryCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'query',
    description: 'Query a workflow',
    flags: MessageFlags,
    options: messageOptions('query'),
    run: (handle, flags) => handle.query<unknown, unknown[]>(flags.name, ...flags.input),
    print: (answer, flags) => {
      printAnswer(context, flags.output, answer);
    },
  });
}

/** `reprise workflow stack`: where the workflow's code waits (the `__stack_trace` query). */
export function workflowStackCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'stack',
    description: "Print where a workflow's code is waiting",
    run: (handle) => handle.query<unknown>(STACK_TRACE_QUERY),
    print: (stack, flags) => {
      report(context, flags.output, { stackTrace: stack }, String(stack));
    },
  });
}

/** `reprise workflow signal`: sends a signal; it is durable once this returns. */
export function workflowSignalCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'signal',
    description: 'Signal a workflow',
    flags: MessageFlags,
    options: messageOptions('signal'),
    run: (handle, flags) => handle.signal<unknown[]>(flags.name, ...flags.input),
    print: (_none, flags) => {
      report(
        context,
        flags.output,
        { signaled: true },
        `Signal '${flags.name}' sent to workflow ${flags.workflowId}.`,
      );
    },
  });
}

/** `reprise workflow update`: sends an update, waits for its result and prints it. */
export function workflowUpdateCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'update',
    description: 'Update a workflow and print its result',
    flags: MessageFlags,
    options: messageOptions('update'),
    run: (handle, flags) =>
      handle.executeUpdate<unknown, unknown[]>(flags.name, { args: flags.input }),
    print: (result, flags) => {
      printAnswer(context, flags.output, result);
    },
  });
}

/** `reprise workflow cancel`: asks the workflow to cancel; its code decides how it ends. */
export function workflowCancelCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'cancel',
    description: 'Request cancellation of a workflow',
    run: (handle) => handle.cancel(),
    print: (_none, flags) => {
      report(
        context,
        flags.output,
        { cancelRequested: true },
        `Cancellation requested for workflow ${flags.workflowId}.`,
      );
    },
  });
}

/** `reprise workflow terminate`: ends the workflow at once, running none of its code. */
export function workflowTerminateCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'terminate',
    description: 'Terminate a workflow',
    flags: ExecutionFlags.extend({ reason: z.string().optional() }),
    options: (command) => command.option('--reason <reason>', 'why, recorded in its history'),
    run: (handle, flags) => handle.terminate(flags.reason),
    print: (_none, flags) => {
      report(
        context,
        flags.output,
        { terminated: true },
        `Workflow ${flags.workflowId} terminated.`,
      );
    },
  });
}
