// Version 1 of `order` (docs/versioning.md): charge, wait for `proceed`, notify.
import { condition, defineSignal, proxyActivities, setHandler } from 'reprise/workflow';
import type * as activities from './activities.ts';

const { charge, notify } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export const proceed = defineSignal('proceed');

export async function order(id: string): Promise<string> {
  let go = false;
  setHandler(proceed, () => {
    go = true;
  });
  const charged = await charge(id);
  await condition(() => go);
  return notify(charged);
}
