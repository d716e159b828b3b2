import * as errors from '../../errors.ts';
import { ErrorCode, RepriseError } from '../../errors.ts';
import type { Failure } from '../../protocol/failure.ts';
import { decodeFailure, encodeFailure, isTemporalFailure } from '../../failures.ts';

/**
 * An error as the HTTP API answers it: `{ "error": WireError }`. `type` is the class the engine
 * threw (`WorkflowNotFoundError`), so that the client rebuilds the same class (for a class of the
 * engine's inside, the nearest exported one it extends); `details` holds
 * its own fields (`workflowId`, `runId`, …); `failure` its cause when that is a Temporal failure
 * (a query handler's, say).
 */
export interface WireError {
  code: ErrorCode;
  type: string;
  name: string;
  message: string;
  details?: Record<string, unknown> | undefined;
  failure?: Failure | undefined;
}

/** The HTTP status of each code: what a proxy, a log or `curl` reads first. */
const STATUS: Record<ErrorCode, number> = {
  WorkflowNotFound: 404,
  WorkflowAlreadyStarted: 409,
  NamespaceNotFound: 404,
  NamespaceAlreadyExists: 409,
  UnknownWorkflowType: 400,
  UnknownSignal: 400,
  QueryNotRegistered: 400,
  QueryFailed: 422,
  ActivityTaskNotFound: 404,
  WorkflowTaskNotFound: 404,
  WorkflowFailed: 422,
  InvalidArgument: 400,
  PayloadTooLarge: 413,
  RunConflict: 409,
  NonDeterminism: 422,
  IllegalState: 409,
  Unavailable: 503,
  UpdateNotFound: 404,
  WorkflowNotReady: 409,
  WorkflowUpdateFailed: 422,
  ActivityCancelled: 409,
  ActivityCompletionFailed: 422,
  WorkflowContinuedAsNew: 409,
  ScheduleNotFound: 404,
  ScheduleAlreadyRunning: 409,
  Unauthenticated: 401,
  HostNotAllowed: 403,
  Internal: 500,
};

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500 | 503;

export function statusOf(code: ErrorCode): ErrorStatus {
  return STATUS[code] as ErrorStatus;
}

/** Fields every error has, which `details` does not repeat. */
const OWN_FIELDS = new Set(['name', 'message', 'stack', 'cause', 'code']);

/**
 * The wire form of what an engine method threw. Anything but a `RepriseError` (a bug) is
 * `Internal`, its message kept so that the caller can report it.
 */
export function toWireError(e: unknown): WireError {
  if (!(e instanceof RepriseError)) {
    const message = e instanceof Error ? e.message : String(e);
    return {
      code: ErrorCode.Internal,
      type: 'RepriseError',
      name: 'RepriseError',
      message: `The server failed: ${message}. This is a bug in Reprise; the server's log has the stack.`,
    };
  }
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (!OWN_FIELDS.has(k) && v !== undefined) details[k] = v;
  }
  return {
    code: e.code,
    type: wireType(e),
    name: e.name,
    message: e.message,
    ...(Object.keys(details).length > 0 ? { details } : {}),
    ...(isTemporalFailure(e.cause) ? { failure: encodeFailure(e.cause) } : {}),
  };
}

/**
 * The class the client rebuilds for `e`: its own, or for a class of the engine's inside (one that
 * errors.ts does not export) the nearest that it extends, so that the caller's `instanceof` holds.
 */
function wireType(e: RepriseError): string {
  for (let p: unknown = Object.getPrototypeOf(e); p !== null; p = Object.getPrototypeOf(p)) {
    const ctor = (p as { constructor: unknown }).constructor;
    if (typeof ctor === 'function' && CLASSES.get(ctor.name) === ctor) return ctor.name;
  }
  return RepriseError.name;
}

/** Every `RepriseError` class of errors.ts, by class name. */
const CLASSES: ReadonlyMap<string, typeof RepriseError> = new Map(
  Object.values(errors)
    .filter(
      (v): v is typeof RepriseError =>
        typeof v === 'function' && (v === RepriseError || v.prototype instanceof RepriseError),
    )
    .map((c) => [c.name, c]),
);

/**
 * The error a client throws for a wire error: an instance of the class the engine threw (a
 * `RepriseError` when the class is unknown here, from a newer server), with its fields, its
 * code, and the failure as its cause.
 */
export function fromWireError(wire: WireError): RepriseError {
  const prototype = prototypeOf(wire.type);
  const cause = wire.failure ? decodeFailure(wire.failure) : undefined;
  const e = new Error(wire.message, cause === undefined ? undefined : { cause });
  Object.setPrototypeOf(e, prototype);
  // Defined, not assigned: no key of the server's reaches a setter (`__proto__`'s) on the way.
  for (const [key, value] of safeDetails(wire.details)) define(e, key, value);
  define(e, 'code', wire.code);
  define(e, 'name', typeof wire.name === 'string' ? wire.name : prototype.constructor.name);
  // Made as an Error and given the class's prototype: its constructor's message is the server's.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  return e as RepriseError;
}

/** Keys of `details` never copied: the error's own fields, and those that reach its prototype. */
const UNSAFE_DETAILS: ReadonlySet<string> = new Set([
  ...OWN_FIELDS,
  '__proto__',
  'constructor',
  'prototype',
]);

/**
 * The fields of a wire error's `details` that the rebuilt error may take: the own keys of a plain
 * object, but for {@link UNSAFE_DETAILS}. `details` comes from the network: a key `__proto__`
 * (an own key of what `JSON.parse` makes) must not change the error's class, nor `message` or
 * `code` its meaning. Anything but a plain object gives nothing.
 */
function safeDetails(details: unknown): [string, unknown][] {
  if (typeof details !== 'object' || details === null) return [];
  const proto: unknown = Object.getPrototypeOf(details);
  if (proto !== Object.prototype && proto !== null) return [];
  return Object.entries(details).filter(([key]) => !UNSAFE_DETAILS.has(key));
}

/** Sets `e[key]` as a class field is set: an own, enumerable, writable property. */
function define(e: Error, key: string, value: unknown): void {
  Object.defineProperty(e, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The prototype of the class to rebuild for `type`. A server's engine that closed is, to a caller over HTTP, a
 * server going away: an `UnavailableError` to try again (another engine may serve the store on
 * that address soon), not an `EngineClosedError`, on which a worker stops for good.
 */
function prototypeOf(type: string): RepriseError {
  const cls = CLASSES.get(type) ?? RepriseError;
  return (cls === errors.EngineClosedError ? errors.UnavailableError : cls).prototype;
}

/** Whether a parsed answer body is `{ error: WireError }`. */
export function isWireError(v: unknown): v is WireError {
  if (typeof v !== 'object' || v === null) return false;
  const w = v as Partial<Record<keyof WireError, unknown>>;
  return typeof w.code === 'string' && typeof w.message === 'string' && typeof w.type === 'string';
}
