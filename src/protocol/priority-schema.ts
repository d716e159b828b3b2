// The wire form of a task priority (protocol/priority.ts) on commands, events and run state.
// Types only: values are checked by priorityProblem where they enter (a client's request, a
// workflow task's commands), with messages that say what to pass instead.
import * as z from 'zod';

export const PrioritySchema = z.object({
  priorityKey: z.number().optional(),
  fairnessKey: z.string().optional(),
  fairnessWeight: z.number().optional(),
});

/**
 * A priority as a client's request gives it: anything, checked by priorityProblem so that a bad
 * value gets its message rather than a schema's.
 */
export const PriorityInputSchema = z.unknown();
