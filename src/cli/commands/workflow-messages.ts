// `reprise workflow query|stack|signal|update|cancel|terminate`: talk to a running workflow.
import { Command } from 'commander';
import * as z from 'zod';
import { withClient } from '../cli-context.ts';
import type { CliContext } from '../cli-context.ts';
import { addInputFlag, parseFlags, parseInputs } from '../flags.ts';
import { inlineJson, printJson } from '../output.ts';
import { addExecutionFlags, ExecutionFlags, handleOf } from './execution-flags.ts';

/** The built-in query that answers with where the workflow waits. Temporal's. */
const STACK_TRACE_QUERY = '__stack_trace';

const MessageFlags = ExecutionFlags.extend({
  name: z.string().min(1),
  input: z.array(z.string()).optional(),
});

/** A command that sends the named message with `--input` arguments. */
function messageCommand(name: string, description: string, what: string): Command {
  return addInputFlag(
    addExecutionFlags(new Command(name).description(description)).requiredOption(
      '--name <name>',
      `the ${what} name`,
    ),
  );
}

/** Prints a value a workflow answered with: as JSON on one line in text, `{ result }` in json. */
function printAnswer(context: CliContext, output: 'text' | 'json', value: unknown): void {
  if (output === 'json') printJson(context.io, { result: value });
  else context.io.out(`${inlineJson(value)}\n`);
}

/** `reprise workflow query`: asks a workflow a question and prints its answer. */
export function workflowQueryCommand(context: CliContext): Command {
  return messageCommand('query', 'Query a workflow', 'query').action(async (options: unknown) => {
    const flags = parseFlags(MessageFlags, options);
    const args = parseInputs(flags.input);
    const answer = await withClient(context, flags, (client) =>
      handleOf(client, flags).query<unknown, unknown[]>(flags.name, ...args),
    );
    printAnswer(context, flags.output, answer);
  });
}

/** `reprise workflow stack`: where the workflow's code waits (the `__stack_trace` query). */
export function workflowStackCommand(context: CliContext): Command {
  return addExecutionFlags(
    new Command('stack').description("Print where a workflow's code is waiting"),
  ).action(async (options: unknown) => {
    const flags = parseFlags(ExecutionFlags, options);
    const stack = await withClient(context, flags, (client) =>
      handleOf(client, flags).query<unknown>(STACK_TRACE_QUERY),
    );
    if (flags.output === 'json') printJson(context.io, { stackTrace: stack });
    else context.io.out(`${String(stack)}\n`);
  });
}

/** `reprise workflow signal`: sends a signal; it is durable once this returns. */
export function workflowSignalCommand(context: CliContext): Command {
  return messageCommand('signal', 'Signal a workflow', 'signal').action(
    async (options: unknown) => {
      const flags = parseFlags(MessageFlags, options);
      const args = parseInputs(flags.input);
      await withClient(context, flags, (client) =>
        handleOf(client, flags).signal<unknown[]>(flags.name, ...args),
      );
      if (flags.output === 'json') printJson(context.io, { signaled: true });
      else context.io.out(`Signal '${flags.name}' sent to workflow ${flags.workflowId}.\n`);
    },
  );
}

/** `reprise workflow update`: sends an update, waits for its result and prints it. */
export function workflowUpdateCommand(context: CliContext): Command {
  return messageCommand('update', 'Update a workflow and print its result', 'update').action(
    async (options: unknown) => {
      const flags = parseFlags(MessageFlags, options);
      const args = parseInputs(flags.input);
      const result = await withClient(context, flags, (client) =>
        handleOf(client, flags).executeUpdate<unknown, unknown[]>(flags.name, { args }),
      );
      printAnswer(context, flags.output, result);
    },
  );
}

/** `reprise workflow cancel`: asks the workflow to cancel; its code decides how it ends. */
export function workflowCancelCommand(context: CliContext): Command {
  return addExecutionFlags(
    new Command('cancel').description('Request cancellation of a workflow'),
  ).action(async (options: unknown) => {
    const flags = parseFlags(ExecutionFlags, options);
    await withClient(context, flags, (client) => handleOf(client, flags).cancel());
    if (flags.output === 'json') printJson(context.io, { cancelRequested: true });
    else context.io.out(`Cancellation requested for workflow ${flags.workflowId}.\n`);
  });
}

const TerminateFlags = ExecutionFlags.extend({ reason: z.string().optional() });

/** `reprise workflow terminate`: ends the workflow at once, running none of its code. */
export function workflowTerminateCommand(context: CliContext): Command {
  return addExecutionFlags(new Command('terminate').description('Terminate a workflow'))
    .option('--reason <reason>', 'why, recorded in its history')
    .action(async (options: unknown) => {
      const flags = parseFlags(TerminateFlags, options);
      await withClient(context, flags, (client) => handleOf(client, flags).terminate(flags.reason));
      if (flags.output === 'json') printJson(context.io, { terminated: true });
      else context.io.out(`Workflow ${flags.workflowId} terminated.\n`);
    });
}
