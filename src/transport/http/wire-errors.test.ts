// Errors as they cross the HTTP API: each comes back as the class a caller catches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UpdateAbortedByNewRunError } from '../../engine/ops/poll-workflow-update.ts';
import { CorruptRowError } from '../../store/rows.ts';
import { RepriseError, WorkflowNotFoundError } from '../../errors.ts';
import { fromWireError, toWireError } from './wire-errors.ts';

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
