// The flags that name one workflow execution: --workflow-id/-w and --run-id/-r.
import { Command } from 'commander';
import * as z from 'zod';
import type { WorkflowHandle } from 'reprise/client';
import { withClient } from '../cli-context.ts';
import type { CliContext } from '../cli-context.ts';
import { addClientFlags, ClientFlags, parseFlags } from '../flags.ts';

export const ExecutionFlags = ClientFlags.extend({
  workflowId: z.string().min(1),
  runId: z.string().min(1).optional(),
});
export type ExecutionFlags = z.infer<typeof ExecutionFlags>;

/** Adds the client flags, `--workflow-id`/`-w` (required) and `--run-id`/`-r`. */
export function addExecutionFlags(command: Command): Command {
  return addClientFlags(command)
    .requiredOption('-w, --workflow-id <id>', 'the workflow id')
    .option('-r, --run-id <id>', 'the run (default: the latest run of the workflow id)');
}

/** What a command on one execution does: call its handle, then print the answer. */
export interface ExecutionCommandSpec<S extends z.ZodType<ExecutionFlags>, T> {
  readonly name: string;
  readonly description: string;
  /** The command's flags (default `ExecutionFlags`); `options` adds the ones beyond those. */
  readonly flags?: S;
  readonly options?: (command: Command) => Command;
  readonly run: (handle: WorkflowHandle, flags: z.infer<S>) => Promise<T>;
  readonly print: (answer: T, flags: z.infer<S>) => void;
}

/** A `reprise workflow` command that acts on the execution `-w` (and `-r`) name. */
export function executionCommand<S extends z.ZodType<ExecutionFlags>, T>(
  context: CliContext,
  spec: ExecutionCommandSpec<S, T>,
): Command {
  const command = addExecutionFlags(new Command(spec.name).description(spec.description));
  return (spec.options?.(command) ?? command).action(async (options: unknown) => {
    const flags = parseFlags(spec.flags ?? ExecutionFlags, options) as z.infer<S>;
    const answer = await withClient(context, flags, (client) =>
      spec.run(client.workflow.getHandle(flags.workflowId, flags.runId), flags),
    );
    spec.print(answer, flags);
  });
}
