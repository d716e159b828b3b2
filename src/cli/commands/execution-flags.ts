// The flags that name one workflow execution: --workflow-id/-w and --run-id/-r.
import type { Command } from 'commander';
import * as z from 'zod';
import type { Client, WorkflowHandle } from 'reprise/client';
import { addClientFlags, ClientFlags } from '../flags.ts';

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

/** A handle to the execution the flags name. */
export function handleOf(client: Client, flags: ExecutionFlags): WorkflowHandle {
  return client.workflow.getHandle(flags.workflowId, flags.runId);
}
