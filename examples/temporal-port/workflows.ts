// Temporal's TypeScript samples, ported by changing imports: `@temporalio/workflow` became
// `reprise/workflow`. From samples-typescript `hello-world` (example), `signals-queries`
// (unblockOrCancel), `child-workflows` (parentWorkflow, childWorkflow) and `cancellation-scopes`
// (cancelFakeProgress). See docs/coming-from-temporal.md for the lines that changed.
/* eslint-disable @typescript-eslint/require-await -- the samples' async style, kept as written */
import * as wf from 'reprise/workflow';
import {
  CancellationScope,
  executeChild,
  isCancellation,
  proxyActivities,
  sleep,
} from 'reprise/workflow';
import type * as activities from './activities.ts';

// ── hello-world ─────────────────────────────────────────────────────────────────────────────

const { greet } = proxyActivities<typeof activities>({
  startToCloseTimeout: '1 minute',
});

/** A workflow that simply calls an activity */
export async function example(name: string): Promise<string> {
  return await greet(name);
}

// ── signals-queries ─────────────────────────────────────────────────────────────────────────

export const unblockSignal = wf.defineSignal('unblock');
export const isBlockedQuery = wf.defineQuery<boolean>('isBlocked');

export async function unblockOrCancel(): Promise<void> {
  let isBlocked = true;
  wf.setHandler(unblockSignal, () => void (isBlocked = false));
  wf.setHandler(isBlockedQuery, () => isBlocked);
  wf.log.info('Blocked');
  try {
    await wf.condition(() => !isBlocked);
    wf.log.info('Unblocked');
  } catch (err) {
    if (err instanceof wf.CancelledFailure) {
      wf.log.info('Cancelled');
    }
    throw err;
  }
}

// ── child-workflows ─────────────────────────────────────────────────────────────────────────

export async function parentWorkflow(...names: string[]): Promise<string> {
  const responseArray = await Promise.all(
    names.map((name) =>
      executeChild(childWorkflow, {
        args: [name],
        // workflowId, // add business-meaningful workflow id here
        // // regular workflow options apply here, with two additions (defaults shown):
        // cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        // parentClosePolicy: ParentClosePolicy.TERMINATE
      }),
    ),
  );
  return responseArray.join('\n');
}

export async function childWorkflow(name: string): Promise<string> {
  return `i am a child named ${name}`;
}

// ── cancellation-scopes ─────────────────────────────────────────────────────────────────────

const { fakeProgress } = proxyActivities<typeof activities>({
  startToCloseTimeout: '60s',
  heartbeatTimeout: '3s',
});

export async function cancelFakeProgress(): Promise<void> {
  try {
    await CancellationScope.cancellable(async () => {
      const promise = fakeProgress();
      await sleep(1000);
      CancellationScope.current().cancel();
      await promise;
    });
  } catch (err) {
    if (!isCancellation(err)) throw err;
  }
}
