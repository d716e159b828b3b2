// What a table constraint a store write broke means, when the write's own context gives no error
// of its own: shared by the store backends' error translation.
import { IllegalStateError } from '../errors.ts';

export type ConstraintKind = 'unique' | 'foreignKey' | 'other';

const BROKE: Record<ConstraintKind, string> = {
  unique: 'a row with the same key already exists',
  foreignKey: 'a referenced row does not exist',
  other: 'a row broke a table constraint',
};

/** An `IllegalStateError` for operation `op`, with the driver error as its `cause`. */
export function constraintError(
  kind: ConstraintKind,
  op: string,
  detail: string,
  cause: unknown,
): Error {
  // IllegalStateError takes no options, so the driver error is attached afterwards.
  return Object.assign(new IllegalStateError(`${op}: ${BROKE[kind]}: ${detail}.`), { cause });
}
