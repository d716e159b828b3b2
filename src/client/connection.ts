import { connect } from '../transport/connect.ts';
import type { Connection as EngineConnection } from '../transport/connect.ts';

export type { ConnectionOptions } from '../transport/connect.ts';

/** A connection to an engine, as `Connection.connect` resolves it. */
export type Connection = EngineConnection;

/**
 * A connection to an engine: `await Connection.connect({ address: '127.0.0.1:7233' })` for a
 * Reprise server over HTTP (`npx reprise dev`, `engine.listen()`), or
 * `Connection.connect({ engine })` for an engine in this process (`engine.connection` may also be
 * passed to `Client` and `Worker` as it is).
 */
export const Connection = { connect };
