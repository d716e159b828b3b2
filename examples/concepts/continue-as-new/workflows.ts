// The subscription of docs/continue-as-new.md: bill every 30 days, and start over with a fresh
// history now and then, carrying only the months billed. To end, and to show a chain of runs in
// a few months rather than thousands of events, this version stops after `lastMonth` and also
// continues as new every `MONTHS_PER_RUN` months; a real one relies on `continueAsNewSuggested`.
import { continueAsNew, proxyActivities, sleep, workflowInfo } from 'reprise/workflow';
import type { createActivities } from './activities.ts';

const { bill } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
});

export const MONTHS_PER_RUN = 2;

export async function subscription(
  customerId: string,
  monthsBilled: number,
  lastMonth: number,
): Promise<number> {
  for (;;) {
    await sleep('30 days');
    monthsBilled += 1;
    await bill(customerId, monthsBilled);
    if (monthsBilled >= lastMonth) return monthsBilled;
    if (workflowInfo().continueAsNewSuggested || monthsBilled % MONTHS_PER_RUN === 0) {
      await continueAsNew<typeof subscription>(customerId, monthsBilled, lastMonth);
    }
  }
}
