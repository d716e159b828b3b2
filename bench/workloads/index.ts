import type { Workload } from '../lib/workload.ts';
import { limits } from './limits.ts';
import { w1, w1Cold } from './w1.ts';
import { w2, w2Engine, w2Warm } from './w2.ts';
import { w3 } from './w3.ts';
import { w4 } from './w4.ts';
import { w5 } from './w5.ts';
import { w6 } from './w6.ts';
import { w7 } from './w7.ts';
import { w8 } from './w8.ts';

/**
 * In the order `all` runs them: the limits last. Their disk traffic (eight writers committing as
 * fast as they can, a PostgreSQL cluster) slows every fsync for a while after: W3's p50 measured
 * 6.1 ms right after them and 4.2–4.8 ms without them, on the same code.
 */
export const WORKLOADS: readonly Workload[] = [
  w1,
  w1Cold,
  w2,
  w2Warm,
  w3,
  w4,
  w5,
  w6,
  w7,
  w8,
  limits,
];

/** Reference workloads, run only when named (not by `all`): see each one's file. */
export const REFERENCE_WORKLOADS: readonly Workload[] = [w2Engine];

export function findWorkload(id: string): Workload | undefined {
  return [...WORKLOADS, ...REFERENCE_WORKLOADS].find(
    (w) => w.id.toLowerCase() === id.toLowerCase(),
  );
}
