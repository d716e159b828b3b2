// Temporal's TypeScript samples, ported by changing imports: `@temporalio/activity` became
// `reprise/activity`. From samples-typescript `hello-world` (greet) and `cancellation-scopes`
// (fakeProgress). See docs/coming-from-temporal.md for the lines that changed.
/* eslint-disable @typescript-eslint/require-await -- the samples' async style, kept as written */
import { CancelledFailure, activityInfo, heartbeat, log, sleep } from 'reprise/activity';

export async function greet(name: string): Promise<string> {
  return `Hello, ${name}!`;
}

export async function fakeProgress(sleepIntervalMs = 1000): Promise<void> {
  try {
    // allow for resuming from heartbeat
    const startingPoint = (activityInfo().heartbeatDetails as number | undefined) || 1;
    log.info('Starting activity at progress', { startingPoint });
    for (let progress = startingPoint; progress <= 100; ++progress) {
      // simple utility to sleep in activity for given interval or throw if Activity is cancelled
      // don't confuse with Workflow.sleep which is only used in Workflow functions!
      log.info('Progress', { progress });
      await sleep(sleepIntervalMs);
      heartbeat(progress);
    }
  } catch (err) {
    if (err instanceof CancelledFailure) {
      log.info('Fake progress activity cancelled', { message: err.message });
      // Cleanup
    }
    throw err;
  }
}
