// How a connection to a server uses its sockets: a burst of calls shares a bounded pool, calls
// that wait get sockets of their own, and close() cuts whatever is in flight. A stub server on
// loopback that counts the connections it is sent.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { waitFor } from '../../../test/helpers/test-env.ts';
import { CALL_SOCKETS, httpConnection } from './http-connection.ts';
import type { HttpConnection } from './http-connection.ts';

/** Answers every call with `{ result }` once its body is in, unless `hold` keeps it waiting. */
async function stubServer(hold: (method: string) => boolean = () => false): Promise<{
  connection: HttpConnection;
  connections: () => number;
  held: ServerResponse[];
  close: () => Promise<void>;
}> {
  let connections = 0;
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (hold(req.url?.split('/').at(-1) ?? '')) held.push(res);
      else res.end(JSON.stringify({ result: { count: 7 } }));
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const connection = httpConnection({ address: `127.0.0.1:${port}` });
  return {
    connection,
    connections: () => connections,
    held,
    close: async () => {
      await connection.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("an HTTP connection's sockets", () => {
  test('a burst of calls shares a bounded pool of sockets, not one each', async () => {
    const stub = await stubServer();
    try {
      const calls = 10 * CALL_SOCKETS;
      const answers = await Promise.all(
        Array.from({ length: calls }, () => stub.connection.countWorkflows({ namespace: 'n' })),
      );
      assert.equal(answers.length, calls);
      assert.ok(answers.every((a) => a.count === 7));
      // Sent in one turn, each would have opened a socket of its own.
      assert.ok(stub.connections() <= CALL_SOCKETS, `${stub.connections()} connections`);
    } finally {
      await stub.close();
    }
  });

  test('calls that wait hold sockets of their own: a call is answered past any number of them', async () => {
    const stub = await stubServer((method) => method === 'getWorkflowOutcome');
    try {
      const waits = Array.from({ length: CALL_SOCKETS + 10 }, (_, i) =>
        stub.connection.getWorkflowOutcome({
          namespace: 'default',
          workflowId: `waiting-${i}`,
          waitMs: 60_000,
        }),
      );
      // Every wait reached the server: none queued for a socket of the bounded pool.
      await waitFor(() => stub.held.length === waits.length, 'every wait to reach the server');
      assert.deepEqual(await stub.connection.countWorkflows({ namespace: 'n' }), { count: 7 });
      // Still running when the wait ends: no result.
      for (const res of stub.held) res.end('{}');
      assert.ok((await Promise.all(waits)).every((outcome) => outcome === undefined));
    } finally {
      await stub.close();
    }
  });

  test('close() cuts the calls in flight, which fail saying the connection was closed', async () => {
    const stub = await stubServer((method) => method !== 'countWorkflows');
    try {
      const call = stub.connection.describeNamespace({ namespace: 'default' });
      const wait = stub.connection.getWorkflowOutcome({
        namespace: 'default',
        workflowId: 'w',
        waitMs: 60_000,
      });
      await waitFor(() => stub.held.length === 2, 'both calls to reach the server');
      await stub.connection.close();
      await assert.rejects(call, /was closed: connect again/);
      await assert.rejects(wait, /was closed: connect again/);
      await assert.rejects(
        stub.connection.countWorkflows({ namespace: 'n' }),
        /was closed: connect again/,
      );
    } finally {
      await stub.close();
    }
  });
});
