// The OpenAPI 3.1 document of the HTTP API (`GET /api/v1/openapi.json`, and docs/openapi.json):
// request bodies from the schemas the engine parses them with, answers by their TypeScript types.
import * as z from 'zod';
import { ErrorCode } from '../../errors.ts';
import { REQUEST_SCHEMAS } from '../../engine/request-schemas.ts';
import { ENGINE_API_METHODS, LONG_POLL_METHODS } from '../engine-api.ts';
import type { EngineApiMethod } from '../engine-api.ts';
import { MAX_POLL_ID_LENGTH, POLL_ID_HEADER } from './http-connection.ts';
import { statusOf } from './wire-errors.ts';

/** A JSON Schema, as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown>;

/** The OpenAPI document, as plain JSON. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { title: string; version: string; description: string };
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: Record<string, Record<string, unknown>>;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly tags: readonly { name: Tag; description: string }[];
}

export interface OpenApiOptions {
  /** The server wants `Authorization: Bearer <apiKey>` (it was given an `apiKey`). */
  readonly bearer: boolean;
}

type Tag =
  | 'Workflows'
  | 'Workflow tasks'
  | 'Activity tasks'
  | 'Schedules'
  | 'Search attributes'
  | 'Namespaces'
  | 'Server';

const TAGS: Record<Tag, string> = {
  Workflows: 'Start, signal, query, update, cancel, terminate, describe and list workflow runs.',
  'Workflow tasks': 'What a worker calls to run workflow code: register, long-poll, answer.',
  'Activity tasks':
    'What a worker (or a client, by activity id or task token) calls to run and answer activities.',
  Schedules: 'Create, describe, update, pause, trigger, backfill, delete and list schedules.',
  'Search attributes': 'The custom search attributes a namespace registers.',
  Namespaces: 'Create, list and describe namespaces.',
  Server: 'Whether the server is up, this document, and ending long-polls.',
};

/** Where the request and response types of the API are declared. */
const TYPES_FILE = 'src/transport/engine-api.ts';

/**
 * What the document says of each method beyond its request schema: its group, a one-line
 * summary, and its request and response types as `EngineApi` declares them (a test checks these
 * against src/transport/engine-api.ts). A response of `void` is an answer without `result`; one
 * that may be `undefined` (or is `unknown`) an answer whose `result` may be absent.
 */
export const METHOD_DOCS: Readonly<
  Record<
    EngineApiMethod,
    {
      readonly tag: Tag;
      readonly summary: string;
      readonly request: string;
      readonly response: string;
    }
  >
> = {
  startWorkflow: {
    tag: 'Workflows',
    summary: 'Starts a workflow run',
    request: 'StartWorkflowRequest',
    response: 'StartWorkflowResponse',
  },
  signalWorkflow: {
    tag: 'Workflows',
    summary: 'Sends a signal to a run',
    request: 'SignalWorkflowRequest',
    response: 'void',
  },
  queryWorkflow: {
    tag: 'Workflows',
    summary: 'Queries a run (a worker answers); the result is the query handler’s value',
    request: 'QueryWorkflowRequest',
    response: 'unknown',
  },
  cancelWorkflow: {
    tag: 'Workflows',
    summary: 'Asks a run to cancel',
    request: 'CancelWorkflowRequest',
    response: 'void',
  },
  terminateWorkflow: {
    tag: 'Workflows',
    summary: 'Terminates a run at once',
    request: 'TerminateWorkflowRequest',
    response: 'void',
  },
  describeWorkflow: {
    tag: 'Workflows',
    summary: 'Describes a run (the latest of the workflow id without a runId)',
    request: 'ExecutionRef',
    response: 'WorkflowDescription',
  },
  getWorkflowOutcome: {
    tag: 'Workflows',
    summary: 'Waits up to waitMs for a run to close; no result if it is still running then',
    request: 'GetWorkflowOutcomeRequest',
    response: 'WorkflowOutcome | undefined',
  },
  getHistory: {
    tag: 'Workflows',
    summary: 'The events of a run’s history',
    request: 'GetHistoryRequest',
    response: 'GetHistoryResponse',
  },
  updateWorkflow: {
    tag: 'Workflows',
    summary: 'Sends an update and waits up to waitMs for it to reach waitForStage',
    request: 'UpdateWorkflowRequest',
    response: 'UpdateWorkflowResponse',
  },
  pollWorkflowUpdate: {
    tag: 'Workflows',
    summary: 'Waits up to waitMs for an update sent earlier to reach waitForStage',
    request: 'PollWorkflowUpdateRequest',
    response: 'UpdateWorkflowResponse',
  },
  signalWithStartWorkflow: {
    tag: 'Workflows',
    summary: 'Signals the running run of a workflow id, or starts one with the signal',
    request: 'SignalWithStartWorkflowRequest',
    response: 'StartWorkflowResponse',
  },
  updateWithStartWorkflow: {
    tag: 'Workflows',
    summary: 'Sends an update to the running run of a workflow id, or starts one with it',
    request: 'UpdateWithStartWorkflowRequest',
    response: 'UpdateWithStartResponse',
  },
  listWorkflows: {
    tag: 'Workflows',
    summary: 'Runs matching a list filter, one page at a time',
    request: 'ListWorkflowsRequest',
    response: 'ListWorkflowsResponse',
  },
  countWorkflows: {
    tag: 'Workflows',
    summary: 'How many runs match a list filter',
    request: 'CountWorkflowsRequest',
    response: 'CountWorkflowsResponse',
  },
  registerWorker: {
    tag: 'Workflow tasks',
    summary: 'Records a worker; answers with the engine’s limits',
    request: 'RegisterWorkerRequest',
    response: 'RegisterWorkerResponse',
  },
  pollWorkflowTask: {
    tag: 'Workflow tasks',
    summary: 'Long-polls for a workflow task (or a query) for up to waitMs',
    request: 'PollRequest',
    response: 'WorkflowTask | undefined',
  },
  completeWorkflowTask: {
    tag: 'Workflow tasks',
    summary: 'Applies the commands of a started workflow task',
    request: 'CompleteWorkflowTaskRequest',
    response: 'CompleteWorkflowTaskResponse',
  },
  failWorkflowTask: {
    tag: 'Workflow tasks',
    summary: 'Fails a started workflow task',
    request: 'FailWorkflowTaskRequest',
    response: 'void',
  },
  respondQueryTask: {
    tag: 'Workflow tasks',
    summary: 'Answers a query task',
    request: 'RespondQueryTaskRequest',
    response: 'void',
  },
  pollActivityTask: {
    tag: 'Activity tasks',
    summary: 'Long-polls for an activity task for up to waitMs',
    request: 'PollRequest',
    response: 'ActivityTask | undefined',
  },
  shutdownWorker: {
    tag: 'Workflow tasks',
    summary: 'A worker stops: the workflow tasks on its sticky queue go to their runs’ own queues',
    request: 'ShutdownWorkerRequest',
    response: 'void',
  },
  completeActivityTask: {
    tag: 'Activity tasks',
    summary: 'Records an activity attempt’s result',
    request: 'CompleteActivityTaskRequest',
    response: 'CompleteActivityTaskResponse',
  },
  failActivityTask: {
    tag: 'Activity tasks',
    summary: 'Records an activity attempt’s failure',
    request: 'FailActivityTaskRequest',
    response: 'void',
  },
  reportActivityTaskCanceled: {
    tag: 'Activity tasks',
    summary: 'Records that an activity attempt accepted its cancellation',
    request: 'ReportActivityCanceledRequest',
    response: 'void',
  },
  heartbeatActivityTask: {
    tag: 'Activity tasks',
    summary: 'Records a heartbeat; answers whether cancellation was asked',
    request: 'HeartbeatActivityTaskRequest',
    response: 'HeartbeatResponse',
  },
  releaseActivityTask: {
    tag: 'Activity tasks',
    summary: 'The attempt goes on outside the worker (asynchronous completion)',
    request: 'ReleaseActivityTaskRequest',
    response: 'void',
  },
  createSchedule: {
    tag: 'Schedules',
    summary: 'Creates a schedule',
    request: 'CreateScheduleApiRequest',
    response: 'void',
  },
  describeSchedule: {
    tag: 'Schedules',
    summary: 'Describes a schedule',
    request: 'ScheduleRef',
    response: 'ScheduleDescriptionResponse',
  },
  updateSchedule: {
    tag: 'Schedules',
    summary: 'Replaces a schedule’s spec, action, policies and state',
    request: 'UpdateScheduleApiRequest',
    response: 'void',
  },
  patchSchedule: {
    tag: 'Schedules',
    summary: 'Pauses, unpauses, triggers or backfills a schedule',
    request: 'PatchScheduleApiRequest',
    response: 'void',
  },
  deleteSchedule: {
    tag: 'Schedules',
    summary: 'Deletes a schedule',
    request: 'ScheduleRef',
    response: 'void',
  },
  listSchedules: {
    tag: 'Schedules',
    summary: 'The schedules of a namespace, one page at a time',
    request: 'ListSchedulesApiRequest',
    response: 'ListSchedulesApiResponse',
  },
  addSearchAttributes: {
    tag: 'Search attributes',
    summary: 'Registers custom search attributes with their types',
    request: 'AddSearchAttributesRequest',
    response: 'void',
  },
  removeSearchAttributes: {
    tag: 'Search attributes',
    summary: 'Removes custom search attributes from the registry',
    request: 'RemoveSearchAttributesRequest',
    response: 'void',
  },
  listSearchAttributes: {
    tag: 'Search attributes',
    summary: 'The namespace’s search attributes and their types',
    request: '{ namespace: string }',
    response: 'ListSearchAttributesResponse',
  },
  createNamespace: {
    tag: 'Namespaces',
    summary: 'Creates a namespace',
    request: 'CreateNamespaceRequest',
    response: 'NamespaceDescription',
  },
  listNamespaces: {
    tag: 'Namespaces',
    summary: 'Every namespace, in name order',
    request: 'Record<string, never>',
    response: 'ListNamespacesResponse',
  },
  describeNamespace: {
    tag: 'Namespaces',
    summary: 'Describes a namespace',
    request: '{ namespace: string }',
    response: 'NamespaceDescription',
  },
};

/**
 * Request bodies that work against a fresh server, in an order that works (the test sends them
 * in this order): the document shows each as its method's example.
 */
export const REQUEST_EXAMPLES: Partial<Record<EngineApiMethod, Record<string, unknown>>> = {
  startWorkflow: {
    namespace: 'default',
    workflowId: 'order-42',
    workflowType: 'processOrder',
    taskQueue: 'orders',
    args: [{ orderId: 42, items: 3 }],
  },
  signalWorkflow: {
    namespace: 'default',
    workflowId: 'order-42',
    signalName: 'approve',
    args: ['alice'],
  },
  describeWorkflow: { namespace: 'default', workflowId: 'order-42' },
  getHistory: { namespace: 'default', workflowId: 'order-42' },
  listWorkflows: {
    namespace: 'default',
    query: "WorkflowType = 'processOrder' AND ExecutionStatus = 'Running'",
    pageSize: 20,
  },
  countWorkflows: { namespace: 'default', query: 'GROUP BY ExecutionStatus' },
  terminateWorkflow: { namespace: 'default', workflowId: 'order-42', reason: 'a test order' },
  createNamespace: { namespace: 'billing', description: 'Invoices and payments' },
  describeNamespace: { namespace: 'billing' },
  listNamespaces: {},
};

const JSON_TYPE = 'application/json';

/**
 * The request body schema of a method: the engine's own parsing schema, as zod converts it (the
 * shape it accepts, parts zod cannot express left open), with `$defs` moved to
 * `components.schemas` under the method's name so that their `$ref`s resolve in the document.
 */
function requestSchema(method: EngineApiMethod, defs: Record<string, unknown>): JsonSchema {
  const schema = REQUEST_SCHEMAS[method];
  const doc = METHOD_DOCS[method];
  const description = `\`${doc.request}\` in ${TYPES_FILE}.`;
  if (schema === undefined) return { type: 'object', description };
  const prefix = `${method}.`;
  // References are whole strings in the JSON text: each `"#/$defs/<name>"` moves as one.
  const json = JSON.parse(
    JSON.stringify(
      z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', reused: 'ref' }),
    ).replaceAll('"#/$defs/', `"#/components/schemas/${prefix}`),
  ) as JsonSchema;
  for (const [name, def] of Object.entries((json['$defs'] ?? {}) as Record<string, unknown>)) {
    defs[prefix + name] = def;
  }
  delete json['$defs'];
  delete json['$schema'];
  return { ...json, description };
}

/**
 * What a method's 200 answer holds, from its response type: no `result` (`void`), a `result`
 * that may be absent (a type that may be `undefined`, or `unknown`), or always a `result`.
 */
function answerOf(response: string): { result: 'none' | 'optional' | 'always'; type: string } {
  if (response === 'void') return { result: 'none', type: response };
  const types = response.split(' | ');
  const type = types.filter((t) => t !== 'undefined').join(' | ');
  const optional = response === 'unknown' || types.includes('undefined');
  return { result: optional ? 'optional' : 'always', type };
}

/** The 200 answer of a method, described by its response type. */
function resultResponse(method: EngineApiMethod): Record<string, unknown> {
  const answer = answerOf(METHOD_DOCS[method].response);
  if (answer.result === 'none') {
    return jsonResponse('Done: `{}` (the method returns nothing).', {
      type: 'object',
      properties: {},
    });
  }
  const always = answer.result === 'always';
  return jsonResponse(
    always
      ? 'The answer as `result`.'
      : 'The answer as `result`; without `result` when there is none.',
    {
      type: 'object',
      properties: {
        result: {
          description:
            answer.type === 'unknown' ? 'Any JSON value.' : `\`${answer.type}\` in ${TYPES_FILE}.`,
        },
      },
      ...(always ? { required: ['result'] } : {}),
    },
  );
}

function jsonResponse(description: string, schema: JsonSchema): Record<string, unknown> {
  return { description, content: { [JSON_TYPE]: { schema } } };
}

/** Each HTTP status an error answer has, with the codes that give it, in status order. */
function errorStatuses(): [ErrorStatus, ErrorCode[]][] {
  const byStatus = new Map<ErrorStatus, ErrorCode[]>();
  for (const code of Object.values(ErrorCode)) {
    const status = statusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return [...byStatus].sort(([a], [b]) => a - b);
}

type ErrorStatus = ReturnType<typeof statusOf>;

const ERROR_NAMES: Record<ErrorStatus, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  422: 'Failed',
  500: 'Internal error',
  503: 'Unavailable',
};

/** `{ "error": WireError }` (src/transport/http/wire-errors.ts). */
const WIRE_ERROR: JsonSchema = {
  type: 'object',
  description:
    'An error as the API answers it (`WireError` in src/transport/http/wire-errors.ts). The HTTP status follows from `code`.',
  required: ['code', 'type', 'name', 'message'],
  properties: {
    code: { type: 'string', enum: Object.values(ErrorCode) },
    type: {
      type: 'string',
      description:
        'The class the engine threw (`WorkflowNotFoundError`): the client throws the same class.',
    },
    name: { type: 'string' },
    message: { type: 'string', description: 'What happened and what to do.' },
    details: {
      type: 'object',
      description: 'The error’s own fields (`workflowId`, `runId`, …).',
    },
    failure: {
      description:
        'The cause when it is a Temporal failure (a query handler’s, say): `Failure` in src/protocol/failure.ts.',
    },
  },
};

const ERROR_BODY: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { $ref: '#/components/schemas/WireError' } },
};

const errorRef = (status: number): { $ref: string } => ({
  $ref: `#/components/responses/Error${status}`,
});

/** The error answers every call may get: all statuses but 401, which only a key brings. */
function errorResponses(options: OpenApiOptions): Record<string, unknown> {
  return Object.fromEntries(
    errorStatuses()
      .filter(([status]) => options.bearer || status !== 401)
      .map(([status]) => [String(status), errorRef(status)]),
  );
}

function methodPath(
  method: EngineApiMethod,
  options: OpenApiOptions,
  defs: Record<string, unknown>,
) {
  const doc = METHOD_DOCS[method];
  const example = REQUEST_EXAMPLES[method];
  const longPoll = LONG_POLL_METHODS.has(method);
  return {
    post: {
      operationId: method,
      tags: [doc.tag],
      summary: doc.summary,
      description:
        `\`EngineApi.${method}\`: the body is its request (\`${doc.request}\`), the answer ` +
        (answerOf(doc.response).result === 'none'
          ? '`{}`'
          : `\`{ "result": ${answerOf(doc.response).type} }\``) +
        ` (types in ${TYPES_FILE}).` +
        (longPoll
          ? ` A long-poll: it answers when a task comes or after \`waitMs\`, without \`result\` if none came. Send an \`${POLL_ID_HEADER}\` header to be able to end it early with \`/api/v1/_cancelPoll\`.`
          : ''),
      ...(longPoll
        ? {
            parameters: [
              {
                name: POLL_ID_HEADER,
                in: 'header',
                required: false,
                description:
                  'An id of the caller’s choosing: `POST /api/v1/_cancelPoll` with it ends this poll, which then answers without a task (or with one handed to it before).',
                schema: { type: 'string', minLength: 1, maxLength: MAX_POLL_ID_LENGTH },
              },
            ],
          }
        : {}),
      requestBody: {
        required: true,
        content: {
          [JSON_TYPE]: {
            schema: requestSchema(method, defs),
            ...(example === undefined ? {} : { example }),
          },
        },
      },
      responses: { '200': resultResponse(method), ...errorResponses(options) },
    },
  };
}

/**
 * The OpenAPI 3.1 document of the HTTP API that `engineHttp` serves: a `POST /api/v1/<method>`
 * for each `EngineApi` method, `/api/v1/_cancelPoll`, `/api/v1/health` and this document's own
 * route; with `bearer`, the bearer security every route then wants. A new document each call.
 */
export function openApiDocument(options: OpenApiOptions): OpenApiDocument {
  const defs: Record<string, unknown> = {};
  const paths: Record<string, Record<string, unknown>> = {
    '/api/v1/health': {
      get: {
        operationId: 'health',
        tags: ['Server'],
        summary: 'Whether the server is up',
        responses: {
          '200': jsonResponse('Up.', {
            type: 'object',
            required: ['status'],
            properties: { status: { const: 'ok' } },
          }),
          ...(options.bearer ? { '401': errorRef(401) } : {}),
          '403': errorRef(403),
        },
      },
    },
    '/api/v1/openapi.json': {
      get: {
        operationId: 'openApi',
        tags: ['Server'],
        summary: 'This document',
        responses: {
          '200': jsonResponse('The OpenAPI document of this API.', { type: 'object' }),
          ...(options.bearer ? { '401': errorRef(401) } : {}),
          '403': errorRef(403),
        },
      },
    },
    '/api/v1/_cancelPoll': {
      post: {
        operationId: '_cancelPoll',
        tags: ['Server'],
        summary: 'Ends a long-poll by the id its caller sent it with',
        description: `Ends the \`pollWorkflowTask\` or \`pollActivityTask\` call sent with this \`${POLL_ID_HEADER}\` header (or, if it has not arrived yet, makes it answer at once): the poll answers without a task, or with one handed to it before, so no task is lost. Answers \`{}\` whether or not such a poll is open.`,
        requestBody: {
          required: true,
          content: {
            [JSON_TYPE]: {
              schema: {
                type: 'object',
                required: ['pollId'],
                properties: {
                  pollId: {
                    type: 'string',
                    minLength: 1,
                    maxLength: MAX_POLL_ID_LENGTH,
                    description: `The poll's \`${POLL_ID_HEADER}\` header.`,
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': jsonResponse('Done.', { type: 'object', properties: {} }),
          '400': errorRef(400),
          ...(options.bearer ? { '401': errorRef(401) } : {}),
          '403': errorRef(403),
          '413': errorRef(413),
        },
      },
    },
  };
  for (const method of ENGINE_API_METHODS) {
    paths[`/api/v1/${method}`] = methodPath(method, options, defs);
  }
  const responses = Object.fromEntries(
    errorStatuses().map(([status, codes]) => [
      `Error${status}`,
      {
        description: `${ERROR_NAMES[status]}: ${codes.join(', ')}.`,
        content: { [JSON_TYPE]: { schema: ERROR_BODY } },
      },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Reprise HTTP API',
      version: 'v1',
      description:
        'The engine’s API over HTTP: `POST /api/v1/<method>` with the method’s request as a JSON body; the answer is `{ "result": … }` (no `result` when the method returns nothing) or `{ "error": WireError }` with the status of its code. Request bodies are described by the schemas the engine checks them with; answers by their TypeScript types in src/transport/engine-api.ts. See docs/http-api.md.',
    },
    tags: (Object.keys(TAGS) as Tag[]).map((name) => ({ name, description: TAGS[name] })),
    paths,
    components: {
      schemas: { WireError: WIRE_ERROR, ...defs },
      responses,
      ...(options.bearer
        ? {
            securitySchemes: {
              apiKey: {
                type: 'http',
                scheme: 'bearer',
                description:
                  'The API key the server was started with (`engine.listen({ apiKey })`), as `Authorization: Bearer <key>`. A server started without a key wants none.',
              },
            },
          }
        : {}),
    },
    ...(options.bearer ? { security: [{ apiKey: [] }] } : {}),
  };
}

/** The document as docs/openapi.json holds it: indented JSON with a final newline. */
export function openApiText(options: OpenApiOptions): string {
  return `${JSON.stringify(openApiDocument(options), null, 2)}\n`;
}

/**
 * The handler of `GET /api/v1/openapi.json`: the document, made on the first request and kept
 * for the app's life.
 */
export function serveOpenApi(options: OpenApiOptions): () => Response {
  let document: OpenApiDocument | undefined;
  return () => Response.json((document ??= openApiDocument(options)));
}

/**
 * The copy for readers (`npm run openapi` writes it; a test fails while it differs): the
 * document of a server with an API key, relative to the package root.
 */
export const DOCS_COPY = { file: 'docs/openapi.json', options: { bearer: true } } as const;
