// Compile-only test of the sinks API (checked by `npm run typecheck`): nothing here runs.
import { proxySinks } from 'reprise/workflow';
import type { Sink, SinkCall, SinkFunction, Sinks, WorkflowInfo } from 'reprise/workflow';
import type {
  InjectedSink,
  InjectedSinkFunction,
  InjectedSinks,
  WorkerOptions,
} from 'reprise/worker';

const seen: unknown[] = [];

interface MySinks extends Sinks {
  metrics: { orderPlaced(amount: number, currency?: string): void };
}

export function inWorkflow(): void {
  const { metrics } = proxySinks<MySinks>();
  metrics.orderPlaced(120, 'EUR');
  metrics.orderPlaced(120);
  // @ts-expect-error -- the arguments are the sink function's
  metrics.orderPlaced('120');
}

export const sinks: InjectedSinks<MySinks> = {
  metrics: {
    orderPlaced: {
      fn: (info: WorkflowInfo, amount: number, currency?: string) => {
        seen.push(info.workflowId, amount, currency);
      },
      callDuringReplay: false,
    },
  },
};

export const asyncSink: InjectedSink<MySinks['metrics']> = {
  orderPlaced: {
    fn: async (_info, amount) => {
      await Promise.resolve(seen.push(amount));
    },
  },
};

export const wrongArguments: InjectedSinks<MySinks> = {
  metrics: {
    orderPlaced: {
      // @ts-expect-error -- fn takes the info, then the call's arguments
      fn: (_info: WorkflowInfo, amount: string) => {
        seen.push(amount);
      },
    },
  },
};

// @ts-expect-error -- every function of the sink is registered
export const missingFunction: InjectedSinks<MySinks> = { metrics: {} };

export const options: Pick<WorkerOptions, 'sinks'> = { sinks };

export type Pinned = [
  Sink,
  SinkCall,
  SinkFunction,
  InjectedSinkFunction<MySinks['metrics']['orderPlaced']>,
];
