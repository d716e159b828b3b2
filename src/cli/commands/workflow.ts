// `reprise workflow …`: Temporal CLI's `temporal workflow` commands.
import { Command } from 'commander';
import type { CliContext } from '../cli-context.ts';
import {
  workflowCountCommand,
  workflowDescribeCommand,
  workflowListCommand,
  workflowResultCommand,
  workflowShowCommand,
} from './workflow-inspect.ts';
import {
  workflowCancelCommand,
  workflowQueryCommand,
  workflowSignalCommand,
  workflowStackCommand,
  workflowTerminateCommand,
  workflowUpdateCommand,
} from './workflow-messages.ts';
import { workflowExecuteCommand, workflowStartCommand } from './workflow-start.ts';

export function workflowCommand(context: CliContext): Command {
  const workflow = new Command('workflow').description('Start, inspect and talk to workflows');
  for (const make of [
    workflowStartCommand,
    workflowExecuteCommand,
    workflowListCommand,
    workflowCountCommand,
    workflowDescribeCommand,
    workflowShowCommand,
    workflowResultCommand,
    workflowQueryCommand,
    workflowSignalCommand,
    workflowUpdateCommand,
    workflowCancelCommand,
    workflowTerminateCommand,
    workflowStackCommand,
  ]) {
    workflow.addCommand(make(context));
  }
  return workflow;
}
