// The billing activity of the continue-as-new example. It records each bill, with the run that
// asked for it, in the ledger it was made with, so that the example can show the chain of runs.
import { activityInfo } from 'reprise/activity';

export interface Bill {
  readonly customerId: string;
  readonly month: number;
  /** The run of the subscription's chain that billed this month. */
  readonly runId: string;
}

/** The activities, writing to `ledger` (a real system would call a payment provider). */
export function createActivities(ledger: Bill[]): {
  bill: (customerId: string, month: number) => Promise<void>;
} {
  return {
    async bill(customerId: string, month: number): Promise<void> {
      ledger.push({ customerId, month, runId: activityInfo().workflowExecution.runId });
      return Promise.resolve();
    },
  };
}
