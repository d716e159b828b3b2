import * as z from 'zod';
import { Failure } from './failure.ts';
import { Payloads, WireHeadersSchema } from './payload.ts';

/**
 * How a workflow update ended: the handler's result, or the failure that rejected it (its
 * validator threw) or that its handler threw. Temporal's `Outcome`.
 */
export const UpdateOutcome = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), result: z.unknown().optional() }),
  z.object({ status: z.literal('failure'), failure: Failure }),
]);
export type UpdateOutcome = z.infer<typeof UpdateOutcome>;

/** An update the engine admitted and hands to the workflow with a workflow task. */
export const UpdateRequest = z.object({
  updateId: z.string().min(1),
  name: z.string().min(1),
  args: Payloads,
  header: WireHeadersSchema.optional(),
  /**
   * The run's last event when the engine admitted the update (Temporal's
   * acceptedRequestSequencingEventId): the workflow handles it after the signals up to that event
   * and before later ones, so updates and signals are handled in the order they arrived.
   */
  sequencingEventId: z.number().int().nonnegative().optional(),
});
export type UpdateRequest = z.infer<typeof UpdateRequest>;

/**
 * How far an update got. Temporal's `WorkflowUpdateStage`: admitted by the engine, accepted by
 * the workflow (its validator passed; recorded in history), completed (with an outcome).
 */
export const UpdateStage = {
  Admitted: 'Admitted',
  Accepted: 'Accepted',
  Completed: 'Completed',
} as const;
export type UpdateStage = (typeof UpdateStage)[keyof typeof UpdateStage];
export const UpdateStageSchema = z.enum(UpdateStage);
