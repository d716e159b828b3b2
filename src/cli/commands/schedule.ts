// `reprise schedule create|list|describe|pause|unpause|trigger|delete`: Temporal CLI's schedules.
import { Command } from 'commander';
import ms from 'ms';
import * as z from 'zod';
import { InvalidArgumentError } from 'reprise/client';
import type {
  IntervalSpec,
  ScheduleDescription,
  ScheduleHandle,
  ScheduleSummary,
} from 'reprise/client';
import { withClient } from '../cli-context.ts';
import type { CliContext } from '../cli-context.ts';
import { addClientFlags, addInputFlag, ClientFlags, Inputs, parseFlags } from '../flags.ts';
import { inlineJson, printFields, printJson, printTable } from '../output.ts';

const ScheduleFlags = ClientFlags.extend({ scheduleId: z.string().min(1) });
type ScheduleFlags = z.infer<typeof ScheduleFlags>;

const CreateFlags = ScheduleFlags.extend({
  cron: z.array(z.string().min(1)).optional(),
  interval: z.array(z.string().min(1)).optional(),
  workflowType: z.string().min(1),
  taskQueue: z.string().min(1),
  workflowId: z.string().min(1).optional(),
  input: Inputs,
  paused: z.boolean().optional(),
  note: z.string().optional(),
});

const repeat = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

function scheduleCommand(name: string, description: string): Command {
  return addClientFlags(new Command(name).description(description)).requiredOption(
    '-s, --schedule-id <id>',
    'the schedule id',
  );
}

/** `--interval 1h` or Temporal's `--interval 1h/15m` (every hour, 15 minutes past). */
function intervalOf(text: string): IntervalSpec {
  const [every = '', offset] = text.split('/');
  return offset === undefined ? { every } : { every, offset };
}

/** Runs `use` with a handle to the schedule `--schedule-id` names. */
function withSchedule<T>(
  context: CliContext,
  flags: ScheduleFlags,
  use: (handle: ScheduleHandle) => Promise<T>,
): Promise<T> {
  return withClient(context, flags, (client) => use(client.schedule.getHandle(flags.scheduleId)));
}

function scheduleCreateCommand(context: CliContext): Command {
  return addInputFlag(
    scheduleCommand('create', 'Create a schedule that starts a workflow')
      .option('--cron <expression>', 'a cron expression; repeat for more', repeat)
      .option(
        '--interval <every[/offset]>',
        "an interval such as '1h' or '1h/15m'; repeatable",
        repeat,
      )
      .requiredOption('--workflow-type <type>', 'the workflow type to start')
      .requiredOption('-t, --task-queue <queue>', 'the task queue of its workers')
      .option(
        '-w, --workflow-id <id>',
        "its runs' workflow id prefix (default: <schedule id>-workflow)",
      )
      .option('--paused', 'create it paused')
      .option('--note <note>', 'a note on its state (why it is paused)'),
  ).action(async (options: unknown) => {
    const flags = parseFlags(CreateFlags, options);
    const args = flags.input;
    if (!flags.cron?.length && !flags.interval?.length) {
      throw new InvalidArgumentError(
        "A schedule needs --cron or --interval to say when it runs, e.g. --cron '0 9 * * *' or --interval 1h.",
      );
    }
    await withClient(context, flags, (client) =>
      client.schedule.create({
        scheduleId: flags.scheduleId,
        spec: { cronExpressions: flags.cron, intervals: flags.interval?.map(intervalOf) },
        action: {
          type: 'startWorkflow',
          workflowType: flags.workflowType,
          taskQueue: flags.taskQueue,
          workflowId: flags.workflowId,
          args,
        },
        state: { paused: flags.paused, note: flags.note },
      }),
    );
    if (flags.output === 'json') printJson(context.io, { scheduleId: flags.scheduleId });
    else context.io.out(`Schedule ${flags.scheduleId} created.\n`);
  });
}

/** A summary or description's spec, in a few words: its cron expressions and intervals. */
function specText(spec: ScheduleSummary['spec']): string {
  const parts = [
    ...(spec.cronExpressions ?? []),
    ...spec.intervals.map((i) => `every ${ms(i.every)}${i.offset ? ` +${ms(i.offset)}` : ''}`),
    ...(spec.calendars.length ? [`${spec.calendars.length} calendar(s)`] : []),
  ];
  return parts.join(', ');
}

function nextTime(times: readonly Date[]): string {
  return times[0]?.toISOString() ?? '';
}

/** A summary or description as JSON: without the typed copy of its search attributes. */
function scheduleJson({
  typedSearchAttributes,
  ...data
}: ScheduleSummary | ScheduleDescription): object {
  return data;
}

function scheduleListCommand(context: CliContext): Command {
  return addClientFlags(new Command('list').description('List schedules'))
    .option('-q, --query <filter>', 'a list filter over their search attributes')
    .action(async (options: unknown) => {
      const flags = parseFlags(ClientFlags.extend({ query: z.string().optional() }), options);
      const schedules = await withClient(context, flags, async (client) => {
        const found: ScheduleSummary[] = [];
        for await (const s of client.schedule.list({ query: flags.query })) found.push(s);
        return found;
      });
      if (flags.output === 'json') {
        printJson(context.io, schedules.map(scheduleJson));
        return;
      }
      printTable(
        context.io,
        ['ScheduleId', 'WorkflowType', 'Paused', 'Spec', 'NextRunTime'],
        schedules.map((s) => [
          s.scheduleId,
          s.action.workflowType,
          String(s.state.paused),
          specText(s.spec),
          nextTime(s.info.nextActionTimes),
        ]),
      );
    });
}

function printSchedule(context: CliContext, d: ScheduleDescription): void {
  context.io.out('Schedule:\n');
  printFields(context.io, [
    ['ScheduleId', d.scheduleId],
    ['Spec', specText(d.spec)],
    ['WorkflowType', d.action.workflowType],
    ['TaskQueue', d.action.taskQueue],
    ['WorkflowId', d.action.workflowId],
    ['Args', d.action.args.length ? inlineJson(d.action.args) : undefined],
    ['Paused', String(d.state.paused)],
    ['Note', d.state.note || undefined],
    ['Overlap', d.policies.overlap],
    ['ActionsTaken', d.info.numActionsTaken],
    ['NextRunTime', nextTime(d.info.nextActionTimes) || undefined],
    ['CreatedAt', d.info.createdAt.toISOString()],
  ]);
  if (d.info.recentActions.length > 0) {
    context.io.out('Recent actions:\n');
    for (const a of d.info.recentActions) {
      context.io.out(`  ${a.takenAt.toISOString()}  ${a.action.workflow.workflowId}\n`);
    }
  }
}

function scheduleDescribeCommand(context: CliContext): Command {
  return scheduleCommand('describe', 'Describe a schedule').action(async (options: unknown) => {
    const flags = parseFlags(ScheduleFlags, options);
    const described = await withSchedule(context, flags, (handle) => handle.describe());
    if (flags.output === 'json') printJson(context.io, scheduleJson(described));
    else printSchedule(context, described);
  });
}

/** A command that acts on one schedule and says what it did. */
function scheduleActionCommand(
  name: string,
  description: string,
  act: (
    handle: ScheduleHandle,
    flags: ScheduleFlags & { reason?: string | undefined },
  ) => Promise<void>,
  done: string,
): (context: CliContext) => Command {
  return (context) =>
    scheduleCommand(name, description)
      .option('--reason <reason>', 'why (recorded as its note, for pause and unpause)')
      .action(async (options: unknown) => {
        const flags = parseFlags(ScheduleFlags.extend({ reason: z.string().optional() }), options);
        await withSchedule(context, flags, (handle) => act(handle, flags));
        if (flags.output === 'json') printJson(context.io, { scheduleId: flags.scheduleId });
        else context.io.out(`Schedule ${flags.scheduleId} ${done}.\n`);
      });
}

export function scheduleCommands(context: CliContext): Command {
  const schedule = new Command('schedule').description('Create, inspect and manage schedules');
  for (const make of [
    scheduleCreateCommand,
    scheduleListCommand,
    scheduleDescribeCommand,
    scheduleActionCommand('pause', 'Pause a schedule', (h, f) => h.pause(f.reason), 'paused'),
    scheduleActionCommand(
      'unpause',
      'Unpause a schedule',
      (h, f) => h.unpause(f.reason),
      'unpaused',
    ),
    scheduleActionCommand(
      'trigger',
      "Take the schedule's action now",
      (h) => h.trigger(),
      'triggered',
    ),
    scheduleActionCommand('delete', 'Delete a schedule', (h) => h.delete(), 'deleted'),
  ]) {
    schedule.addCommand(make(context));
  }
  return schedule;
}
