// Appends of signals, and reading them back: what the PostgreSQL store's write-path tests
// (lingering appends, group commit) send and check.
import type { AppendToRunRequest, RunRecord, Store } from '../../src/store/store.ts';
import { appendRequest, signaledEvent } from './builders.ts';

/** The append of signal `name` to `run` as it stands after `appended` earlier appends. */
export function signalAppend(
  run: RunRecord,
  appended: number,
  name: string,
  extra: Partial<AppendToRunRequest> = {},
): AppendToRunRequest {
  const at = { ...run, nextEventId: run.nextEventId + appended, version: run.version + appended };
  return appendRequest(at, { events: [signaledEvent(at.nextEventId, name)], ...extra });
}

/** The signal names in the run's history, as `reader` (another store object) reads them. */
export async function signalsOf(reader: Store, run: RunRecord): Promise<string[]> {
  return (await reader.readHistory({ runId: run.runId })).flatMap((e) =>
    e.type === 'WorkflowExecutionSignaled' ? [e.signalName] : [],
  );
}

/** `n` turns of the event loop: whatever was sent has had its chance to commit. */
export function turns(n: number): Promise<void> {
  return n === 0
    ? Promise.resolve()
    : new Promise((r) => setImmediate(() => void turns(n - 1).then(r)));
}
