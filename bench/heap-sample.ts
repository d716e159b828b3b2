/* eslint-disable no-console */
// What fills a workload's old generation: V8's sampling heap profiler over the measured phase of
// one repetition, run in this process (under tsx, so that frames name the source), keeping the
// objects a full collection freed (`includeObjectsCollectedByMajorGC`) and dropping those a
// young-generation collection freed. What it lists lived long enough to be promoted: garbage
// that fills the old generation between full collections, or live data.
// With --all, it keeps every sampled allocation instead: what a step allocates, which sets how
// often the young generation is collected. Besides the allocating frame and the nearest frame in
// src/, it lists the five innermost frames of each allocation.
// Usage: npx tsx bench/heap-sample.ts <workload> [--top N] [--all]   (e.g. W2)
import { Session } from 'node:inspector/promises';
import { RepChannel } from './lib/channel.ts';
import type { RepContext } from './lib/workload.ts';
import { findWorkload } from './workloads/index.ts';

interface SampleNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: SampleNode[];
}
interface SamplingProfile {
  head: SampleNode;
  samples: { size: number; nodeId: number }[];
}

const id = process.argv[2];
const topArg = process.argv.indexOf('--top');
const top = topArg > 0 ? Number(process.argv[topArg + 1]) : 25;
const all = process.argv.includes('--all');
const workload = id === undefined ? undefined : findWorkload(id);
if (workload === undefined) {
  console.error('usage: npx tsx bench/heap-sample.ts <workload> [--top N] [--all]');
  process.exit(2);
}

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
let stopped: Promise<{ profile: SamplingProfile }> | undefined;
const base = new RepChannel(() => undefined).context(
  1,
  { mode: 'embedded', store: 'sqlite', reps: 1, scale: 'default', workers: 1, engines: 1 },
  {},
);
const ctx: RepContext = {
  ...base,
  mark: (phase) => {
    if (phase === 'start') {
      void session.post('HeapProfiler.startSampling', {
        samplingInterval: 512,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: all,
      });
    } else {
      // node's types leave out the profile's `samples`, which V8 sends.
      stopped = session.post('HeapProfiler.stopSampling') as unknown as Promise<{
        profile: SamplingProfile;
      }>;
    }
  },
};
await workload.rep(ctx);
if (stopped === undefined) throw new Error(`${workload.id} marked no measured phase`);
const { profile } = await stopped;

const nodes = new Map<number, SampleNode>();
const parents = new Map<number, SampleNode | undefined>();
const walk = (n: SampleNode, parent: SampleNode | undefined): void => {
  nodes.set(n.id, n);
  parents.set(n.id, parent);
  for (const c of n.children) walk(c, n);
};
walk(profile.head, undefined);

const frame = (n: SampleNode): string => {
  const { functionName, url } = n.callFrame;
  const place = url.includes('/src/') ? url.split('/src/')[1] : url.split('/').slice(-1)[0];
  return `${functionName || '(anonymous)'}  ${place ?? ''}`;
};
const byFrame = new Map<string, number>();
const byProjectFrame = new Map<string, number>();
const byStack = new Map<string, number>();
const add = (m: Map<string, number>, key: string, size: number): void => {
  m.set(key, (m.get(key) ?? 0) + size);
};
let total = 0;
for (const s of profile.samples) {
  const n = nodes.get(s.nodeId);
  if (n === undefined) continue;
  total += s.size;
  add(byFrame, frame(n), s.size);
  // The nearest caller in the project's own source: who made it, where the allocating frame is
  // a builtin (a Map's set, a Promise, JSON.parse).
  let m: SampleNode | undefined = n;
  while (m !== undefined && !m.callFrame.url.includes('/src/')) m = parents.get(m.id);
  const key = m === undefined ? '(no frame of the project)' : frame(m);
  add(byProjectFrame, key, s.size);
  const stack: string[] = [];
  for (
    let f: SampleNode | undefined = n;
    f !== undefined && stack.length < 5;
    f = parents.get(f.id)
  ) {
    if (f.callFrame.functionName !== '' || f.callFrame.url !== '') stack.push(frame(f));
  }
  add(byStack, stack.join(' < '), s.size);
}
const print = (title: string, m: Map<string, number>): void => {
  console.log(`\n## ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((v / total) * 100).toFixed(1).padStart(6)} %  ${k}`);
  }
};
const kind = all ? 'allocated' : 'promoted or live';
console.log(`# ${workload.id}: ${(total / 2 ** 20).toFixed(1)} MiB sampled (${kind})`);
print('by allocating frame', byFrame);
print('by nearest frame in src/', byProjectFrame);
print('by stack (five innermost frames)', byStack);
process.exit(0);
