// The workflow of docs/testing.md: waits thirty days, then sends the monthly report.
import { proxyActivities, sleep } from 'reprise/workflow';
import type * as activities from './activities.ts';

const { sendReport } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function monthlyReport(): Promise<string> {
  await sleep('30 days');
  return sendReport('2026-01');
}
