// `reprise workflow start` and `reprise workflow execute`: start a run, and for execute wait for it.
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import * as z from 'zod';
import type { WorkflowHandle } from 'reprise/client';
import { withClient } from '../cli-context.ts';
import type { CliContext } from '../cli-context.ts';
import { addClientFlags, addInputFlag, ClientFlags, Inputs, parseFlags } from '../flags.ts';
import { inlineJson, printFields, printJson } from '../output.ts';
import { awaitOutcome, printOutcome } from './workflow-outcome.ts';

const StartFlags = ClientFlags.extend({
  type: z.string().min(1),
  taskQueue: z.string().min(1),
  workflowId: z.string().min(1).optional(),
  input: Inputs,
});
type StartFlags = z.infer<typeof StartFlags>;

function startCommand(name: 'start' | 'execute', description: string): Command {
  const command = addClientFlags(new Command(name).description(description))
    .requiredOption('--type <type>', 'the workflow type (the exported function name)')
    .requiredOption('-t, --task-queue <queue>', 'the task queue its workers poll')
    .option('-w, --workflow-id <id>', 'the workflow id (default: a random UUID)');
  return addInputFlag(command);
}

async function start(
  context: CliContext,
  options: unknown,
  then: (
    handle: WorkflowHandle,
    flags: StartFlags,
    started: Record<string, unknown>,
  ) => Promise<void>,
): Promise<void> {
  const flags = parseFlags(StartFlags, options);
  const args = flags.input;
  await withClient(context, flags, async (client) => {
    const handle = await client.workflow.start(flags.type, {
      taskQueue: flags.taskQueue,
      workflowId: flags.workflowId ?? randomUUID(),
      args,
    });
    const started = {
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
      type: flags.type,
      namespace: flags.namespace,
      taskQueue: flags.taskQueue,
    };
    if (flags.output === 'text') {
      context.io.out('Running execution:\n');
      printFields(context.io, [
        ['WorkflowId', started.workflowId],
        ['RunId', started.runId],
        ['Type', started.type],
        ['Namespace', started.namespace],
        ['TaskQueue', started.taskQueue],
        ['Args', args.length ? inlineJson(args) : undefined],
      ]);
    }
    await then(handle, flags, started);
  });
}

/** `reprise workflow start`: starts a run and prints its ids. */
export function workflowStartCommand(context: CliContext): Command {
  return startCommand('start', 'Start a workflow and print its ids').action(
    async (options: unknown) => {
      await start(context, options, (_handle, flags, started) => {
        if (flags.output === 'json') printJson(context.io, started);
        return Promise.resolve();
      });
    },
  );
}

/** `reprise workflow execute`: starts a run, waits for it to close, and prints its result. */
export function workflowExecuteCommand(context: CliContext): Command {
  return startCommand('execute', 'Start a workflow, wait for it and print its result').action(
    async (options: unknown) => {
      await start(context, options, async (handle, flags, started) => {
        printOutcome(context, flags.output, await awaitOutcome(handle), started);
      });
    },
  );
}
