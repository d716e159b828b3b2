// What every command is given: where to write, and how to reach a server.
import { Client, Connection } from 'reprise/client';
import type { EngineApi } from '../transport/engine-api.ts';
import type { CliIo } from './cli-io.ts';
import type { ClientFlags, ConnectionFlags } from './flags.ts';

/** An open connection to a server, and how to close it. */
export interface CliConnection {
  readonly connection: EngineApi;
  readonly close: () => Promise<void>;
}

/** Opens a connection to the server at `address`. */
export type Connector = (options: {
  readonly address: string;
  readonly apiKey: string | undefined;
}) => Promise<CliConnection>;

export interface CliContext {
  readonly io: CliIo;
  readonly connect: Connector;
  /** Sets the code the process exits with when the command returns (a failed workflow: 1). */
  readonly setExitCode: (code: number) => void;
}

/** The connector the `reprise` binary uses: `Connection.connect` over HTTP. */
export const connectOverHttp: Connector = async ({ address, apiKey }) => {
  const connection = await Connection.connect({ address, apiKey });
  return { connection, close: () => connection.close() };
};

/** Runs `use` with a client of `flags.namespace` on the server at `flags.address`, then closes it. */
export async function withClient<T>(
  context: CliContext,
  flags: ClientFlags,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  return withConnection(context, flags, (connection) =>
    use(new Client({ connection, namespace: flags.namespace })),
  );
}

/** Runs `use` with the API of the server at `flags.address`, then closes the connection. */
export async function withConnection<T>(
  context: CliContext,
  flags: ConnectionFlags,
  use: (api: EngineApi) => Promise<T>,
): Promise<T> {
  const { connection, close } = await context.connect({
    address: flags.address,
    apiKey: flags.apiKey,
  });
  try {
    return await use(connection);
  } finally {
    await close();
  }
}
