import { InvalidArgumentError } from '../errors.ts';
import type { EngineApi } from '../transport/engine-api.ts';

export interface ConnectionOptions {
  readonly address?: string | undefined;
  readonly apiKey?: string | undefined;
}

/**
 * A connection to an engine. In this release a Client or Worker connects in-process through
 * `engine.connection` (from `reprise/server`); `Connection.connect` to a server address comes
 * with the HTTP transport.
 */
export const Connection = {
  connect(options: ConnectionOptions & { engine?: { connection: EngineApi } }): Promise<EngineApi> {
    if ((options as { plugins?: unknown }).plugins !== undefined) {
      return Promise.reject(
        new InvalidArgumentError(
          'Connection.connect takes no plugins: the connection is the engine itself, in-process, with nothing to configure. ' +
            'Pass the plugins to new Client({ plugins }) and Worker.create({ plugins }) instead.',
        ),
      );
    }
    if (options.engine) return Promise.resolve(options.engine.connection);
    return Promise.reject(
      new InvalidArgumentError(
        `Connecting to '${options.address ?? '(no address)'}' over the network is not available yet: ` +
          `open an engine in-process with Engine.open() from 'reprise/server' and pass engine.connection.`,
      ),
    );
  },
};
