import * as z from 'zod';
import { InvalidArgumentError } from '../errors.ts';
import { compiled } from '../util/compiled-schema.ts';

/** Opaque to workers and clients: which run, which scheduled event, which attempt. */
export const WorkflowTaskToken = z.object({
  k: z.literal('wt'),
  runId: z.string(),
  scheduledEventId: z.number().int(),
  startedEventId: z.number().int(),
  /** Which start of the task (RunState's workflowTask.startId); absent in older tokens. */
  startId: z.string().optional(),
});
export type WorkflowTaskToken = z.infer<typeof WorkflowTaskToken>;

export const ActivityTaskToken = z.object({
  k: z.literal('at'),
  namespace: z.string(),
  runId: z.string(),
  scheduledEventId: z.number().int(),
  attempt: z.number().int(),
});
export type ActivityTaskToken = z.infer<typeof ActivityTaskToken>;

export function encodeTaskToken(token: WorkflowTaskToken | ActivityTaskToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeTaskToken<S extends z.ZodType>(schema: S, token: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    json = undefined;
  }
  const parsed = compiled(schema).safeParse(json);
  if (!parsed.success) {
    throw new InvalidArgumentError(
      `Malformed task token '${token.slice(0, 40)}'. Pass the taskToken exactly as the task gave it.`,
    );
  }
  return parsed.data;
}
