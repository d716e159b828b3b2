// Temporal's `ClientPlugin` (`@temporalio/client`): `new Client({ plugins })` passes its options
// through each plugin's `configureClient`, in order, before it uses them. docs/plugins.md.
import type { ClientOptions } from './client.ts';

/**
 * A client plugin: `configureClient` takes the client's options and returns the ones to use
 * (a new object or the same). It must answer at once, as `new Client` does.
 */
export interface ClientPlugin {
  readonly name: string;
  configureClient?(options: ClientOptions): ClientOptions;
}
