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

/**
 * Adds one global only, symbol-keyed (kept on the context's global, not on its context object),
 * or defined rather than assigned: each is kept apart from other runs on its own.
 */
export async function isolatedGlobal(kind: 'symbol' | 'defined'): Promise<{
  seenBefore: unknown;
  seenNow: unknown;
}> {
  const symbols = globalThis as unknown as Record<symbol, unknown>;
  const key = Symbol.for('reprise.test.leaked');
  const read = (): unknown =>
    kind === 'symbol'
      ? symbols[key]
      : (globalThis as unknown as Record<string, unknown>)['definedLeak'];
  const seenBefore = read() ?? null;
  if (kind === 'symbol') symbols[key] = workflowInfo().runId;
  else {
    Object.defineProperty(globalThis, 'definedLeak', {
      value: workflowInfo().runId,
      configurable: true,
      enumerable: false,
    });
  }
  await sleep(10);
  return { seenBefore, seenNow: read() ?? null };
}

/** Never yields after its first timer. */
export async function spinner(): Promise<number> {
  await sleep(1);
  for (;;) counter++;
}
