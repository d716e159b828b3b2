import { z } from 'zod';

const compiledSchemas = new WeakMap<z.ZodType, z.ZodType>();

/**
 * `schema` with zod's generated fast path (`z.compile`), made on first use and kept: the same
 * output and the same issues (input the fast path rejects is parsed again by the runtime parser,
 * which reports it), at a fraction of the work for valid input. For the schemas parsed on every
 * step: requests at the engine's edge, task tokens, rows read back from the store.
 */
export function compiled<S extends z.ZodType>(schema: S): S {
  let fast = compiledSchemas.get(schema);
  if (fast === undefined) {
    fast = z.compile(schema);
    compiledSchemas.set(schema, fast);
  }
  return fast as S;
}
