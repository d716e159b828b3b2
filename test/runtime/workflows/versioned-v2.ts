import { defineQuery, patched, proxyActivities, setHandler, sleep } from 'reprise/workflow';
import type * as activities from './activities.ts';

const { charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** Version 2 of `order`: waits a minute before charging (a change without a patch). */
export async function order(): Promise<string> {
  await sleep('1 minute');
  return await charge(10);
}

/** Version 2 done right: the wait is behind a patch. */
export async function patchedOrder(): Promise<string> {
  const isPatched = patched('wait-before-charge');
  if (isPatched) await sleep('1 minute');
  return `${await charge(10)}|patched:${String(isPatched)}`;
}

/**
 * A patch asked on each round of a loop: a run started before the patch takes the old branch
 * while it replays, and the new one from its first round run live (Temporal's rule).
 */
export async function patchedLoop(): Promise<string> {
  // A query reads the answer the run last got; it never decides one.
  setHandler(defineQuery<boolean>('loopPatched'), () => patched('loop-patch'));
  const answers: boolean[] = [];
  for (let round = 0; round < 2; round++) {
    answers.push(patched('loop-patch'));
    await sleep('1 minute');
  }
  return answers.join(',');
}
