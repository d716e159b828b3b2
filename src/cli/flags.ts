// The flags commands share, parsed with zod once at the boundary (STYLE §1.4).
import { Option } from 'commander';
import type { Command } from 'commander';
import * as z from 'zod';
import { InvalidArgumentError } from 'reprise/client';

/** `--output`: what every command that prints a result takes. */
export const OutputFormat = z.enum(['text', 'json']);
export type OutputFormat = z.infer<typeof OutputFormat>;

/** Where a command that talks to a server finds it, and how it prints. */
export const ClientFlags = z.object({
  address: z.string().min(1),
  namespace: z.string().min(1),
  apiKey: z.string().min(1).optional(),
  output: OutputFormat,
});
export type ClientFlags = z.infer<typeof ClientFlags>;

/** Where a command about the server itself (not one namespace) finds it, and how it prints. */
export const ConnectionFlags = ClientFlags.omit({ namespace: true });
export type ConnectionFlags = z.infer<typeof ConnectionFlags>;

export const DEFAULT_ADDRESS = '127.0.0.1:7233';

const addressOption = (): Option =>
  new Option('--address <host:port>', 'the server to talk to')
    .env('REPRISE_ADDRESS')
    .default(DEFAULT_ADDRESS);
const apiKeyOption = (): Option =>
  new Option('--api-key <key>', "the server's API key").env('REPRISE_API_KEY');
const outputOption = (): Option =>
  new Option('-o, --output <format>', 'text or json').choices(OutputFormat.options).default('text');

/** Adds `--address`, `--namespace`, `--api-key` and `--output` to a command that talks to a server. */
export function addClientFlags(command: Command): Command {
  return command
    .addOption(addressOption())
    .addOption(new Option('-n, --namespace <namespace>', 'the namespace').default('default'))
    .addOption(apiKeyOption())
    .addOption(outputOption());
}

/** Adds `--address`, `--api-key` and `--output`: `addClientFlags` without `--namespace`. */
export function addConnectionFlags(command: Command): Command {
  return command.addOption(addressOption()).addOption(apiKeyOption()).addOption(outputOption());
}

/** Adds `--input`/`-i`: one JSON value per workflow (or signal, query, update) argument. */
export function addInputFlag(command: Command): Command {
  return command.option(
    '-i, --input <json>',
    'an argument as JSON; repeat it, one per argument',
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

/** Adds `--port` and `--host` to a command that serves an engine. */
export function addListenFlags(command: Command): Command {
  return command
    .option('--port <port>', 'the port to listen on (0: any free port)', '7233')
    .option('--host <host>', 'the interface to listen on', '127.0.0.1');
}

/** A port number: 0 (any free port) to 65535. */
export const Port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be 0 to 65535')
  .max(65535, 'must be 0 to 65535');

/**
 * Parses a command's options with `schema`; a bad value is an `InvalidArgumentError` naming the
 * flag (`--port`) and what it wants.
 */
export function parseFlags<S extends z.ZodType>(schema: S, options: unknown): z.infer<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0];
  const flag = typeof key === 'string' ? `--${kebab(key)}` : 'an option';
  const given = typeof key === 'string' ? (options as Record<string, unknown>)[key] : undefined;
  throw new InvalidArgumentError(
    `${flag}${typeof given === 'string' ? ` '${given}'` : ''}: ${issue?.message ?? 'is not valid'}.`,
  );
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The values of `--input` flags, each parsed as JSON: one argument each. Throws
 * `InvalidArgumentError` naming the one that is not JSON.
 */
function parseInputs(inputs: readonly string[] | undefined): unknown[] {
  return (inputs ?? []).map((text) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new InvalidArgumentError(
        `--input '${text}' is not JSON (${(e as Error).message}). ` +
          `Pass one JSON value per --input, e.g. --input '"text"' --input '{"amount": 3}'.`,
      );
    }
  });
}

/** `--input` values, parsed: the arguments they give, one each. */
export const Inputs = z
  .array(z.string())
  .optional()
  .transform((inputs) => parseInputs(inputs));
