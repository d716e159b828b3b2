import * as z from 'zod';

/** A worker's registration (`registerWorker`) as the engine parses it at its edge. */
export const RegisterWorkerSchema = z.object({
  namespace: z.string().min(1),
  taskQueue: z.string().min(1),
  identity: z.string().min(1),
  buildId: z.string().optional(),
  workflowTypes: z.array(z.string()),
  activityTypes: z.array(z.string()),
  signalNames: z.array(z.string()).nullable(),
});
