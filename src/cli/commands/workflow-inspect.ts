// `reprise workflow list|count|describe|show|result`: read what the server holds of workflows.
import { Command } from 'commander';
import * as z from 'zod';
import type { WorkflowExecutionDescription, WorkflowExecutionInfo } from 'reprise/client';
import { withClient } from '../cli-context.ts';
import type { CliContext } from '../cli-context.ts';
import { addClientFlags, ClientFlags, parseFlags } from '../flags.ts';
import { historyText } from '../history-text.ts';
import { inlineJson, isoTime, printFields, printJson, printTable } from '../output.ts';
import { executionCommand } from './execution-flags.ts';
import { awaitOutcome, printOutcome } from './workflow-outcome.ts';

const ListFlags = ClientFlags.extend({
  query: z.string().optional(),
  limit: z.coerce.number().int('must be a whole number').positive('must be 1 or more').optional(),
});

/** A list item as JSON: its fields, without the typed copy of its search attributes. */
function listedJson({ typedSearchAttributes, ...info }: WorkflowExecutionInfo): object {
  return info;
}

/** `reprise workflow list`: the runs a list filter matches. */
export function workflowListCommand(context: CliContext): Command {
  return addClientFlags(new Command('list').description('List workflow executions'))
    .option('-q, --query <filter>', 'a list filter, e.g. "ExecutionStatus = \'Running\'"')
    .option('--limit <n>', 'print at most this many')
    .action(async (options: unknown) => {
      const flags = parseFlags(ListFlags, options);
      const runs = await withClient(context, flags, async (client) => {
        const found: WorkflowExecutionInfo[] = [];
        for await (const run of client.workflow.list({ query: flags.query })) {
          if (flags.limit !== undefined && found.length >= flags.limit) break;
          found.push(run);
        }
        return found;
      });
      if (flags.output === 'json') {
        printJson(context.io, runs.map(listedJson));
        return;
      }
      printTable(
        context.io,
        ['Status', 'WorkflowId', 'Type', 'StartTime'],
        runs.map((r) => [r.status, r.workflowId, r.type, r.startTime.toISOString()]),
      );
    });
}

/** `reprise workflow count`: how many runs a list filter matches (by status with GROUP BY). */
export function workflowCountCommand(context: CliContext): Command {
  return addClientFlags(new Command('count').description('Count workflow executions'))
    .option('-q, --query <filter>', 'a list filter, e.g. "WorkflowType = \'order\'"')
    .action(async (options: unknown) => {
      const flags = parseFlags(ListFlags, options);
      const counted = await withClient(context, flags, (client) =>
        client.workflow.count(flags.query),
      );
      if (flags.output === 'json') {
        printJson(context.io, counted);
        return;
      }
      context.io.out(`Total: ${counted.count}\n`);
      for (const group of counted.groups) {
        context.io.out(`  ${group.groupValues.join(', ')}: ${group.count}\n`);
      }
    });
}

/** A description as JSON: its data, without the functions and typed copies of the client's. */
function describedJson(d: WorkflowExecutionDescription): object {
  const { typedSearchAttributes, staticSummary, staticDetails, ...data } = d;
  return data;
}

function printDescription(context: CliContext, d: WorkflowExecutionDescription): void {
  context.io.out('Execution:\n');
  printFields(context.io, [
    ['WorkflowId', d.workflowId],
    ['RunId', d.runId],
    ['Type', d.workflowType],
    ['TaskQueue', d.taskQueue],
    ['Status', d.status],
    ['StartTime', isoTime(d.startTimeMs)],
    ['CloseTime', isoTime(d.closeTimeMs)],
    ['HistoryLength', d.historyLength],
    ['HistorySize', d.historySizeBytes],
    ['Memo', Object.keys(d.memo).length ? inlineJson(d.memo) : undefined],
    [
      'SearchAttributes',
      Object.keys(d.searchAttributes).length ? inlineJson(d.searchAttributes) : undefined,
    ],
    ['LastTaskFailure', d.lastWorkflowTaskFailure?.failure.message],
  ]);
  if (d.pendingActivities.length > 0) {
    context.io.out(`Pending activities: ${d.pendingActivities.length}\n`);
    for (const a of d.pendingActivities) {
      context.io.out(`  ${a.activityId}  ${a.activityType}  ${a.state}  attempt ${a.attempt}\n`);
    }
  }
  if (d.pendingTimers.length > 0) {
    context.io.out(`Pending timers: ${d.pendingTimers.length}\n`);
    for (const t of d.pendingTimers) {
      context.io.out(`  ${t.timerId}  fires ${new Date(t.firesAtMs).toISOString()}\n`);
    }
  }
}

/** `reprise workflow describe`: a run's status, times and pending work. */
export function workflowDescribeCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'describe',
    description: 'Describe a workflow execution',
    run: (handle) => handle.describe(),
    print: (described, flags) => {
      if (flags.output === 'json') printJson(context.io, describedJson(described));
      else printDescription(context, described);
    },
  });
}

/** `reprise workflow show`: a run's history (in JSON, what `reprise replay` reads). */
export function workflowShowCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'show',
    description: "Show a workflow execution's history",
    run: (handle) => handle.fetchHistory(),
    print: (history, flags) => {
      if (flags.output === 'json') printJson(context.io, history);
      else context.io.out(historyText(history));
    },
  });
}

/** `reprise workflow result`: waits for the run to close and prints how it ended. */
export function workflowResultCommand(context: CliContext): Command {
  return executionCommand(context, {
    name: 'result',
    description: 'Wait for and print a workflow result',
    run: awaitOutcome,
    print: (outcome, flags) => {
      printOutcome(context, flags.output, outcome);
    },
  });
}
