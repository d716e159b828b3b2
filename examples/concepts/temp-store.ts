// A temporary SQLite file for one run of an example, removed with its WAL files afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A `sqlite:` store URL on a fresh temporary file, and the function that removes it. */
export function tempStore(name: string): { store: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `reprise-${name}-`));
  return {
    store: `sqlite:${join(dir, `${name}.db`)}`,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Re-checks `predicate` every few ms until it holds; fails after `timeoutMs` (real time). */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
