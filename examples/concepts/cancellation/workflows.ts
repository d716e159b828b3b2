// The seat hold of docs/cancellation.md: a cancelled hold releases its seat in a
// non-cancellable scope, then lets the cancellation end the run as Canceled.
import { CancellationScope, isCancellation, proxyActivities, sleep } from 'reprise/workflow';
import type { createActivities } from './activities.ts';

const { reserve, release } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
});

export async function holdSeat(seat: string): Promise<string> {
  await reserve(seat);
  try {
    await sleep('15 minutes'); // the customer pays meanwhile, or the hold is cancelled
    return 'held';
  } catch (e) {
    if (!isCancellation(e)) throw e;
    // Cancellation does not reach a non-cancellable scope: the release runs to the end.
    await CancellationScope.nonCancellable(() => release(seat));
    throw e; // the run ends as Canceled
  }
}
