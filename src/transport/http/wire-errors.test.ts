// Errors as they cross the HTTP API: each comes back as the class a caller catches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UpdateAbortedByNewRunError } from '../../engine/ops/poll-workflow-update.ts';
import { CorruptRowError } from '../../store/rows.ts';
import {
  HostNotAllowedError,
  InvalidArgumentError,
  RepriseError,
  WorkflowNotFoundError,
} from '../../errors.ts';
import { fromWireError, toWireError } from './wire-errors.ts';
import type { WireError } from './wire-errors.ts';

const roundTrip = (e: unknown): RepriseError =>
  fromWireError(JSON.parse(JSON.stringify(toWireError(e))) as ReturnType<typeof toWireError>);

test('an error of a class the client does not know comes back as the nearest class it knows', () => {
  // The engine's own subclass of WorkflowNotFoundError: an update sent to a run that handed on.
  const aborted = roundTrip(
    new UpdateAbortedByNewRunError('wf', 'run-1', 'default', 'run-2', 'Send it again.'),
  );
  assert.ok(aborted instanceof WorkflowNotFoundError, aborted.constructor.name);
  assert.equal(aborted.workflowId, 'wf');
  assert.equal(aborted.runId, 'run-1');
  assert.equal(aborted.namespace, 'default');
  assert.equal((aborted as unknown as { newRunId: string }).newRunId, 'run-2');
  assert.equal(aborted.code, 'WorkflowNotFound');
  assert.match(aborted.message, /Send it again\./);

  const corrupt = roundTrip(new CorruptRowError('a run', 'bad'));
  assert.equal(corrupt.constructor, RepriseError);
  assert.equal(corrupt.code, 'Internal');
});

test('a refused Host comes back as HostNotAllowedError, with the host', () => {
  const e = roundTrip(new HostNotAllowedError('evil.example', 'Allow it.'));
  assert.ok(e instanceof HostNotAllowedError);
  assert.equal(e.host, 'evil.example');
  assert.equal(e.code, 'HostNotAllowed');
});

test("details from the network cannot change the error's class, code, message or stack", () => {
  // As JSON.parse makes it: `__proto__` is an own key here, not the prototype.
  const wire = JSON.parse(`{
    "code": "WorkflowNotFound", "type": "WorkflowNotFoundError", "name": "WorkflowNotFoundError",
    "message": "No workflow wf.",
    "details": {
      "workflowId": "wf", "runId": "run-1", "namespace": "default",
      "__proto__": { "polluted": true, "code": "Internal" },
      "constructor": "x", "prototype": "x",
      "message": "forged", "stack": "forged", "name": "forged", "code": "Internal", "cause": "forged"
    }
  }`) as WireError;
  const e = fromWireError(wire);
  assert.ok(e instanceof WorkflowNotFoundError, 'the class the engine threw');
  assert.equal(e.code, 'WorkflowNotFound');
  assert.equal(e.message, 'No workflow wf.');
  assert.equal(e.name, 'WorkflowNotFoundError');
  assert.notEqual(e.stack, 'forged');
  assert.equal(e.cause, undefined);
  assert.equal(Object.hasOwn(e, 'constructor'), false);
  assert.equal(Object.hasOwn(e, 'prototype'), false);
  assert.equal((e as unknown as { polluted?: boolean }).polluted, undefined);
  assert.equal(e.workflowId, 'wf');
  assert.equal(e.runId, 'run-1');
  assert.equal(e.namespace, 'default');
});

test('details that are not a plain object are ignored', () => {
  for (const details of ['text', 7, ['a', 'b'], null]) {
    const e = fromWireError({
      code: 'InvalidArgument',
      type: 'InvalidArgumentError',
      name: 'InvalidArgumentError',
      message: 'bad',
      details,
    } as unknown as WireError);
    assert.ok(e instanceof InvalidArgumentError);
    assert.deepEqual(Object.keys(e).sort(), ['code', 'name']);
  }
});
