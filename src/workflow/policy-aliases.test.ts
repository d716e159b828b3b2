// Temporal's deprecated enum aliases name the same values as the policies they stand for, so
// that ported code that still uses them starts the same children.
/* eslint-disable @typescript-eslint/no-deprecated -- the aliases are what this file checks */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParentClosePolicy } from './cross-run-calls.ts';

test('the PARENT_CLOSE_POLICY_… aliases are the policies they name, UNSPECIFIED the default', () => {
  assert.equal(ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE, ParentClosePolicy.TERMINATE);
  assert.equal(
    ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
    ParentClosePolicy.REQUEST_CANCEL,
  );
  assert.equal(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON, ParentClosePolicy.ABANDON);
  assert.equal(ParentClosePolicy.PARENT_CLOSE_POLICY_UNSPECIFIED, undefined);
});
