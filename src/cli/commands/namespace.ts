// `reprise namespace create|list|describe`: Temporal CLI's `temporal operator namespace` commands.
import { Command } from 'commander';
import * as z from 'zod';
import type { NamespaceDescription } from '../../transport/engine-api.ts';
import { withConnection } from '../cli-context.ts';
import type { CliContext } from '../cli-context.ts';
import { addConnectionFlags, ConnectionFlags, parseFlags } from '../flags.ts';
import { isoTime, printFields, printJson, printTable } from '../output.ts';

function namespaceCreateCommand(context: CliContext): Command {
  return addConnectionFlags(
    new Command('create')
      .description('Create a namespace')
      .argument('<name>', "letters, digits, '.', '-' and '_' (e.g. billing)")
      .option('--description <text>', 'what the namespace is for'),
  ).action(async (name: string, options: unknown) => {
    const flags = parseFlags(
      ConnectionFlags.extend({ description: z.string().optional() }),
      options,
    );
    const created = await withConnection(context, flags, (api) =>
      api.createNamespace({ namespace: name, description: flags.description }),
    );
    if (flags.output === 'json') printJson(context.io, created);
    else context.io.out(`Namespace ${created.namespace} created.\n`);
  });
}

function namespaceListCommand(context: CliContext): Command {
  return addConnectionFlags(new Command('list').description('List the namespaces')).action(
    async (options: unknown) => {
      const flags = parseFlags(ConnectionFlags, options);
      const { namespaces } = await withConnection(context, flags, (api) => api.listNamespaces({}));
      if (flags.output === 'json') {
        printJson(context.io, namespaces);
        return;
      }
      printTable(
        context.io,
        ['Namespace', 'CreatedAt', 'Description'],
        namespaces.map((n) => [n.namespace, isoTime(n.createdAtMs) ?? '', n.description]),
      );
    },
  );
}

function printNamespace(context: CliContext, d: NamespaceDescription): void {
  context.io.out('Namespace:\n');
  printFields(context.io, [
    ['Name', d.namespace],
    ['Description', d.description || undefined],
    ['CreatedAt', isoTime(d.createdAtMs)],
  ]);
}

function namespaceDescribeCommand(context: CliContext): Command {
  return addConnectionFlags(
    new Command('describe').description('Describe a namespace').argument('<name>', 'its name'),
  ).action(async (name: string, options: unknown) => {
    const flags = parseFlags(ConnectionFlags, options);
    const described = await withConnection(context, flags, (api) =>
      api.describeNamespace({ namespace: name }),
    );
    if (flags.output === 'json') printJson(context.io, described);
    else printNamespace(context, described);
  });
}

export function namespaceCommands(context: CliContext): Command {
  const namespace = new Command('namespace').description('Create, list and describe namespaces');
  for (const make of [namespaceCreateCommand, namespaceListCommand, namespaceDescribeCommand]) {
    namespace.addCommand(make(context));
  }
  return namespace;
}
