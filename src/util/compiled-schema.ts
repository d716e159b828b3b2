import * as z from 'zod';

/**
 * Parses through the runtime parser before a schema is compiled. Generating a fast path takes
 * ~15 ms for a workflow task's answer or a history batch (more for larger schemas) and saves
 * ~20 µs a parse on a busy engine: a schema pays for itself after several hundred parses.
 */
export const USES_BEFORE_COMPILE = 500;

const compiledSchemas = new WeakMap<z.ZodType, z.ZodType | number>();

/**
 * `schema`, or once it has been asked for {@link USES_BEFORE_COMPILE} times, `schema` with zod's
 * generated fast path (`z.compile`, kept): the same output and the same issues (input the fast
 * path rejects is parsed again by the runtime parser, which reports it), at a fraction of the
 * work for valid input. Schemas a process parses only a few times (a short-lived or
 * just-started process) never pay for the generation. For the schemas parsed on every step:
 * requests at the engine's edge, task tokens, rows. Not for very large schemas parsed rarely
 * (a run's whole state, read only when the engine's run cache misses: ~90 ms to generate).
 */
export function compiled<S extends z.ZodType>(schema: S): S {
  const seen = compiledSchemas.get(schema) ?? 0;
  if (typeof seen !== 'number') return seen as S;
  if (seen < USES_BEFORE_COMPILE) {
    compiledSchemas.set(schema, seen + 1);
    return schema;
  }
  const fast = z.compile(schema);
  compiledSchemas.set(schema, fast);
  return fast;
}
