// Version 2 of `order` (docs/versioning.md), the current one: charges with tax behind
// `patched`, so that runs started on version 1 (no patch marker in their history) keep the old
// branch on replay while new runs take the new one.
import { condition, defineSignal, patched, proxyActivities, setHandler } from 'reprise/workflow';
import type * as activities from './activities.ts';

const { charge, chargeWithTax, notify } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
});

export const proceed = defineSignal('proceed');

export async function order(id: string): Promise<string> {
  let go = false;
  setHandler(proceed, () => {
    go = true;
  });
  const charged = patched('charge-with-tax') ? await chargeWithTax(id) : await charge(id);
  await condition(() => go);
  return notify(charged);
}
