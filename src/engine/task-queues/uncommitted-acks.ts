import type { Store } from '../../store/store.ts';
import { perStore } from '../per-store.ts';
import { readAheadOf } from './read-ahead.ts';

/**
 * Task rows this process has taken (acknowledged) in writes the store has not committed yet —
 * a started workflow task whose start waits to share its answer's commit (RunTx.deferCommit).
 * The row is still in the table until then: this process's polls pass it over.
 */
export const uncommittedAcksOf = perStore(() => new Set<number>());

/** Keeps `taskIds` among the uncommitted acknowledgements until `write` settles. */
export function holdAcksUntil(
  store: Store,
  taskIds: readonly number[],
  write: Promise<unknown>,
): void {
  if (taskIds.length === 0) return;
  const held = uncommittedAcksOf(store);
  for (const id of taskIds) held.add(id);
  const drop = (): void => {
    for (const id of taskIds) held.delete(id);
  };
  const lost = (): void => {
    drop();
    // The rows are free again, older than the tasks a poll's read kept behind them.
    readAheadOf(store).forget();
  };
  write.then(drop, lost);
}
