import type * as z from 'zod';
import { InvalidArgumentError } from '../../errors.ts';
import { compiled } from '../../util/compiled-schema.ts';

/** Parses a request at the engine's edge; a malformed one gets an error naming each problem. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.infer<S> {
  const parsed = compiled(schema).safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(request)'}: ${i.message}`)
    .join('; ');
  throw new InvalidArgumentError(`Invalid ${what} request: ${problems}.`);
}
