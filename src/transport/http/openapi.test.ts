// The OpenAPI document: it covers every method, says what the code does (the engine's own request
// schemas, the types EngineApi declares), its committed copy is current, and a real engine over
// HTTP serves it and takes its examples.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type * as z from 'zod';
import { Engine } from '../../engine/engine.ts';
import type { EngineServer } from '../../engine/engine.ts';
import { parseRequest } from '../../engine/ops/parse-request.ts';
import { REQUEST_SCHEMAS } from '../../engine/request-schemas.ts';
import { InvalidArgumentError } from '../../errors.ts';
import { tempDir } from '../../../test/helpers/test-env.ts';
import { ENGINE_API_METHODS } from '../engine-api.ts';
import type { EngineApiMethod } from '../engine-api.ts';
import {
  DOCS_COPY,
  METHOD_DOCS,
  REQUEST_EXAMPLES,
  openApiDocument,
  openApiText,
} from './openapi.ts';
import type { OpenApiDocument } from './openapi.ts';

const packageRoot = new URL('../../../', import.meta.url);

interface Operation {
  operationId: string;
  requestBody?: { content: { 'application/json': { schema: unknown; example?: unknown } } };
  responses: Record<string, unknown>;
}
/**
 * What `parseRequest` says of `{}` under `schema`, past its "Invalid … request" opening; undefined
 * when the schema takes `{}` (a method without required fields: `listNamespaces`).
 */
function documentedProblems(schema: z.ZodType, method: string): string | undefined {
  try {
    parseRequest(schema, {}, method);
  } catch (e) {
    if (e instanceof InvalidArgumentError) return e.message.slice(e.message.indexOf(' request: '));
    throw e;
  }
  return undefined;
}

const operation = (doc: OpenApiDocument, method: string): Operation =>
  (doc.paths[`/api/v1/${method}`] as { post: Operation }).post;

describe('the OpenAPI document', () => {
  const doc = openApiDocument({ bearer: false });

  test('has a POST path for every EngineApi method, besides _cancelPoll, health and itself', () => {
    assert.deepEqual(
      Object.keys(doc.paths).sort(),
      [
        ...ENGINE_API_METHODS.map((m) => `/api/v1/${m}`),
        '/api/v1/_cancelPoll',
        '/api/v1/health',
        '/api/v1/openapi.json',
      ].sort(),
    );
    for (const method of ENGINE_API_METHODS) {
      const op = operation(doc, method);
      assert.equal(op.operationId, method);
      assert.ok(op.requestBody, `${method} has a request body`);
      assert.ok(op.responses['200'], `${method} has a 200 answer`);
    }
  });

  test('docs/openapi.json is what the code generates (npm run openapi rewrites it)', () => {
    const committed = readFileSync(new URL(DOCS_COPY.file, packageRoot), 'utf8');
    assert.ok(
      committed === openApiText(DOCS_COPY.options),
      `${DOCS_COPY.file} differs from the document the code generates: run npm run openapi.`,
    );
  });

  test('names the request and response types that EngineApi declares for each method', () => {
    const source = readFileSync(new URL('src/transport/engine-api.ts', packageRoot), 'utf8');
    const start = source.indexOf('export interface EngineApi {');
    const body = source.slice(start, source.indexOf('\n}\n', start));
    const declared: Record<string, { request: string | undefined; response: string | undefined }> =
      {};
    const signature = /^ {2}(\w+)\(req: (.+?)(?:, signal\?: AbortSignal)?\): Promise<(.+)>;$/gm;
    for (const [, method = '', request, response] of body.matchAll(signature)) {
      declared[method] = { request, response };
    }
    const documented = Object.fromEntries(
      ENGINE_API_METHODS.map((m) => [
        m,
        { request: METHOD_DOCS[m].request, response: METHOD_DOCS[m].response },
      ]),
    );
    assert.deepEqual(documented, declared);
  });

  test('describes each request body by the schema its method parses it with', async () => {
    // What each method's own parsing says of an empty request is what the documented schema
    // says of it: the document's schema is the one the engine applies.
    const tmp = tempDir();
    const engine = await Engine.open({ store: `sqlite:${tmp.dir}/schemas.db` });
    try {
      const api = engine.connection as unknown as Record<
        EngineApiMethod,
        (req: unknown) => Promise<unknown>
      >;
      for (const method of ENGINE_API_METHODS) {
        const schema = REQUEST_SCHEMAS[method];
        if (schema === undefined) continue;
        // The problems the documented schema finds, as the engine's edge words them.
        const problems = documentedProblems(schema, method);
        if (problems === undefined) {
          // The engine takes `{}` as well.
          await api[method]({});
          continue;
        }
        await assert.rejects(api[method]({}), (e: unknown) => {
          assert.ok(e instanceof InvalidArgumentError, `${method}: ${String(e)}`);
          assert.ok(e.message.endsWith(problems), `${method}: ${e.message} vs ${problems}`);
          return true;
        });
      }
    } finally {
      await engine.close();
      tmp.remove();
    }
  });

  test('every $ref points at something in the document', () => {
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    const withDefs = openApiDocument({ bearer: true });
    walk(withDefs);
    assert.ok(refs.some((r) => r.startsWith('#/components/schemas/createSchedule.')));
    for (const ref of refs) {
      assert.ok(ref.startsWith('#/'), ref);
      let at: unknown = withDefs;
      for (const part of ref.slice(2).split('/')) {
        at = (at as Record<string, unknown> | undefined)?.[part];
      }
      assert.notEqual(at, undefined, `${ref} resolves`);
    }
  });

  test('asks for the bearer key only of a server that has one', () => {
    assert.equal(doc.security, undefined);
    assert.equal(doc.components['securitySchemes'], undefined);
    assert.equal(operation(doc, 'startWorkflow').responses['401'], undefined);
    const keyed = openApiDocument({ bearer: true });
    assert.deepEqual(keyed.security, [{ apiKey: [] }]);
    const scheme = keyed.components['securitySchemes']?.['apiKey'] as Record<string, unknown>;
    assert.equal(scheme['type'], 'http');
    assert.equal(scheme['scheme'], 'bearer');
    assert.ok(operation(keyed, 'startWorkflow').responses['401']);
  });
});

describe('the OpenAPI document over HTTP', () => {
  const tmp = tempDir();
  let engine: Engine;
  let open: EngineServer;
  let keyed: EngineServer;

  before(async () => {
    engine = await Engine.open({ store: `sqlite:${tmp.dir}/openapi.db` });
    open = await engine.listen({ port: 0 });
    keyed = await engine.listen({ port: 0, apiKey: 'sesame' });
  });
  after(async () => {
    await engine.close();
    tmp.remove();
  });

  test('GET /api/v1/openapi.json serves the generated document, keyed as its server is', async () => {
    const served = await fetch(`${open.url}/api/v1/openapi.json`);
    assert.equal(served.status, 200);
    assert.deepEqual(await served.json(), openApiDocument({ bearer: false }));

    const refused = await fetch(`${keyed.url}/api/v1/openapi.json`);
    assert.equal(refused.status, 401);
    const withKey = await fetch(`${keyed.url}/api/v1/openapi.json`, {
      headers: { authorization: 'Bearer sesame' },
    });
    assert.equal(withKey.status, 200);
    assert.deepEqual(await withKey.json(), openApiDocument({ bearer: true }));
  });

  test("the document's request examples are taken by a real engine, in order", async () => {
    const doc = (await (await fetch(`${open.url}/api/v1/openapi.json`)).json()) as OpenApiDocument;
    const methods = Object.keys(REQUEST_EXAMPLES);
    assert.ok(methods.includes('startWorkflow') && methods.includes('describeWorkflow'));
    for (const method of methods) {
      const example = operation(doc, method).requestBody?.content['application/json'].example;
      assert.ok(example !== undefined, `${method} shows an example`);
      const res = await fetch(`${open.url}/api/v1/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(example),
      });
      assert.equal(res.status, 200, `${method}: ${await res.clone().text()}`);
    }
    const described = await engine.connection.describeWorkflow({
      namespace: 'default',
      workflowId: 'order-42',
    });
    assert.equal(described.workflowType, 'processOrder');
    assert.equal(described.status, 'Terminated');
  });
});
