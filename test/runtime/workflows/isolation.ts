import { sleep, workflowInfo } from 'reprise/workflow';

let counter = 0;

/** Touches module state, globals and a built-in prototype, then reports what it sees. */
export async function isolated(): Promise<Record<string, unknown>> {
  counter++;
  const g = globalThis as unknown as Record<string, unknown>;
  const seenBefore = g['leaked'];
  g['leaked'] = workflowInfo().runId;
  let protoWrite = 'ignored';
  try {
    (Array.prototype as unknown as Record<string, unknown>)['polluted'] = workflowInfo().runId;
  } catch (e) {
    protoWrite = (e as Error).name;
  }
  await sleep(10);
  return {
    counter,
    seenBefore: seenBefore ?? null,
    leakedNow: g['leaked'] ?? null,
    polluted: ([] as unknown as Record<string, unknown>)['polluted'] ?? null,
    protoWrite,
    weakRef: typeof g['WeakRef'],
    finalizationRegistry: typeof g['FinalizationRegistry'],
  };
}

/** Never yields after its first timer. */
export async function spinner(): Promise<number> {
  await sleep(1);
  for (;;) counter++;
}
