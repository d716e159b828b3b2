// Activities of the testing example: `sendReport`, which the workflow calls after its 30-day
// wait, and `uploadFile`, which heartbeats its progress and stops when cancelled — the one
// docs/testing.md runs in a MockActivityEnvironment.
import { activityInfo, cancellationSignal, heartbeat } from 'reprise/activity';

export async function sendReport(month: string): Promise<string> {
  return Promise.resolve(month === '' ? 'nothing to send' : 'sent');
}

/** Uploads `name` in one chunk, heartbeating the offset it starts from. */
export async function uploadFile(name: string): Promise<string> {
  heartbeat({ offset: 0 });
  if (cancellationSignal().aborted) return `cancelled ${name}`;
  return Promise.resolve(`uploaded ${name} on attempt ${activityInfo().attempt}`);
}
