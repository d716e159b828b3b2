/* eslint-disable no-console */
// How many promises a workload's measured phase makes, per step, and where: node's async hooks
// count every promise (in the sandbox too), and a sample of them (1 in --every, default 50) is
// traced to its three innermost frames outside node's own. Each promise costs its allocation and,
// while an AsyncLocalStorage is in use, node 20's promise hooks. Runs in this process, under tsx.
// With --per N, counts are divided by N (the steps of the phase: W2 --per 5000, W1 --per 200).
// Usage: npx tsx bench/promise-sites.ts <workload> [--top N] [--every N] [--per N]
import { createHook } from 'node:async_hooks';
import { RepChannel } from './lib/channel.ts';
import type { RepContext } from './lib/workload.ts';
import { findWorkload } from './workloads/index.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const id = process.argv[2];
const top = arg('--top', 30);
const every = arg('--every', 50);
const per = arg('--per', 1);
const workload = id === undefined ? undefined : findWorkload(id);
if (workload === undefined) {
  console.error('usage: npx tsx bench/promise-sites.ts <workload> [--top N] [--every N] [--per N]');
  process.exit(2);
}

let measuring = false;
let count = 0;
const sites = new Map<string, number>();
const site = (): string =>
  (new Error().stack ?? '')
    .split('\n')
    .slice(3)
    .filter((line) => !line.includes('node:internal'))
    .slice(0, 3)
    .map((line) =>
      line
        .trim()
        .replace(/^at /, '')
        .replace(/\(.*\/(src|bench)\//, '('),
    )
    .join(' < ');
createHook({
  init(_asyncId, type) {
    if (!measuring || type !== 'PROMISE') return;
    if (++count % every !== 0) return;
    const key = site();
    sites.set(key, (sites.get(key) ?? 0) + 1);
  },
}).enable();

const base = new RepChannel(() => undefined).context(
  1,
  { mode: 'embedded', store: 'sqlite', reps: 1, scale: 'default', workers: 1, engines: 1 },
  {},
);
const ctx: RepContext = {
  ...base,
  mark: (phase) => {
    measuring = phase === 'start';
  },
};
await workload.rep(ctx);
const unit = per === 1 ? 'in the phase' : 'per step';
console.log(
  `# ${workload.id}: ${count} promises in the measured phase, ${(count / per).toFixed(1)} ${unit}`,
);
console.log(`\n## by site (1 in ${every} traced), ${unit}`);
for (const [key, n] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((n * every) / per).toFixed(2).padStart(10)}  ${key}`);
}
process.exit(0);
