import { proxyActivities } from 'reprise/workflow';
import type * as activities from './activities.ts';

const { charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** Version 1 of `order`: charges first. */
export async function order(): Promise<string> {
  return await charge(10);
}
