// `reprise`: argv → command → exit code. bin/reprise.js runs it.
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { RepriseError } from 'reprise/client';
import { connectOverHttp } from './cli-context.ts';
import type { CliContext, Connector } from './cli-context.ts';
import { processIo } from './cli-io.ts';
import type { CliIo } from './cli-io.ts';
import { namespaceCommands } from './commands/namespace.ts';
import { replayCommand } from './commands/replay.ts';
import { scheduleCommands } from './commands/schedule.ts';
import { devCommand, serverCommand } from './commands/serve-engine.ts';
import { workflowCommand } from './commands/workflow.ts';

export interface MainOptions {
  readonly io?: CliIo | undefined;
  readonly connect?: Connector | undefined;
}

/** The command tree, every command writing to `context.io`. */
export function buildProgram(context: CliContext): Command {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const program = new Command('reprise')
    .description('Reprise: durable execution for TypeScript')
    .version(version);
  program.addCommand(devCommand(context));
  program.addCommand(serverCommand(context));
  program.addCommand(workflowCommand(context));
  program.addCommand(scheduleCommands(context));
  program.addCommand(namespaceCommands(context));
  program.addCommand(replayCommand(context));
  configureErrors(program, context.io);
  return program;
}

/**
 * Every command throws instead of exiting, writes through `io`, and says a usage error on one
 * line that names its help.
 */
function configureErrors(command: Command, io: CliIo, path = command.name()): void {
  command.exitOverride().configureOutput({
    writeOut: io.out,
    writeErr: io.err,
    outputError: (text, write) => {
      const message = text.trim().replace(/\s*\n\s*/g, ' ');
      write(`${message}${/[.?!)]$/.test(message) ? '' : '.'} See '${path} --help'.\n`);
    },
  });
  for (const sub of command.commands) configureErrors(sub, io, `${path} ${sub.name()}`);
}

/** Runs the command `args` (without `node` and the script) names; resolves to its exit code. */
export async function main(args: readonly string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  let exitCode = 0;
  const context: CliContext = {
    io,
    connect: options.connect ?? connectOverHttp,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  try {
    await buildProgram(context).parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (e) {
    // Commander has written its own message (or the help or version asked for).
    if (e instanceof CommanderError) return e.exitCode;
    io.err(`${errorLine(e)}\n`);
    return 1;
  }
}

/**
 * What a failed command prints: an expected error's message (it says what to do); anything else
 * is a bug in Reprise, and its stack helps to report it.
 */
export function errorLine(e: unknown): string {
  if (e instanceof RepriseError) return `error: ${e.message}`;
  if (e instanceof Error) return `error: ${e.stack ?? e.message}`;
  return `error: ${String(e)}`;
}
