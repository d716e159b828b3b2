// Version 3 of `order` (docs/versioning.md): no run that took the old branch is left, so the
// branch is gone; `deprecatePatch` keeps histories recorded by version 2 replaying.
import {
  condition,
  defineSignal,
  deprecatePatch,
  proxyActivities,
  setHandler,
} from 'reprise/workflow';
import type * as activities from './activities.ts';

const { chargeWithTax, notify } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10s',
});

export const proceed = defineSignal('proceed');

export async function order(id: string): Promise<string> {
  let go = false;
  setHandler(proceed, () => {
    go = true;
  });
  deprecatePatch('charge-with-tax');
  const charged = await chargeWithTax(id);
  await condition(() => go);
  return notify(charged);
}
