import { connect } from '../transport/connect.ts';
import type { Connection, ConnectionOptions } from '../transport/connect.ts';

export type NativeConnectionOptions = ConnectionOptions;

/** A worker's connection to an engine, as `NativeConnection.connect` resolves it. */
export type NativeConnection = Connection;

/**
 * Temporal's worker-side connection: `await NativeConnection.connect({ address })` connects a
 * worker to a Reprise server over HTTP, as `Connection.connect` from `reprise/client` does (the
 * two are one connection in Reprise; either may be passed to `Worker.create` and `Client`).
 */
export const NativeConnection = { connect };
