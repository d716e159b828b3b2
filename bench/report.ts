/* eslint-disable no-console */
// Renders the JSON lines of `npm run bench -- … --out FILE` as Markdown tables: every figure
// with median (min–max), and each target of shared/BENCHMARKS.md, met or not. Service-mode lines
// (engine and workers in processes of their own) are rows of their own, one per worker count, and
// so are lines on a store other than SQLite (`--store postgres`).
// Usage: tsx bench/report.ts FILE.jsonl
import { readFileSync } from 'node:fs';
import type { Summary } from './lib/stats.ts';
import { TARGETS, met } from './targets.ts';

interface Line {
  workload: string;
  /** Absent from no line the runner wrote; `params.mode` says it too since service mode. */
  mode?: string;
  /** Absent from lines written before `--store postgres` ran: those are SQLite's. */
  store?: string;
  reps: number;
  figures: Record<string, Summary>;
  peakRssMiB: Record<string, number>;
  params: Record<string, number | string>;
  errors?: string[];
  notes?: string[];
}

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: tsx bench/report.ts FILE.jsonl');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim().startsWith('{'))
  .map((l) => JSON.parse(l) as Line);
/**
 * `W2`, `W2 (service, 2 workers)`, `W2 (service, 1 worker, postgres)` or `W2 (service, 2 engines,
 * 2 workers, postgres)`: a line's row.
 */
function rowName(l: Line): string {
  const mode = l.params['mode'] ?? l.mode ?? 'embedded';
  const parts: string[] = [];
  if (mode === 'service') {
    parts.push('service');
    const engines = Number(l.params['engines'] ?? 1);
    if (engines > 1) parts.push(`${engines} engines`);
    const workers = Number(l.params['workers'] ?? 1);
    parts.push(`${workers} worker${workers === 1 ? '' : 's'}`);
  }
  if (l.store !== undefined && l.store !== 'sqlite') parts.push(l.store);
  return parts.length === 0 ? l.workload : `${l.workload} (${parts.join(', ')})`;
}

// The last line of each row wins; embedded rows first.
const byWorkload = new Map(
  [...lines]
    .sort((a, b) => Number(rowName(a) !== a.workload) - Number(rowName(b) !== b.workload))
    .map((l) => [rowName(l), l]),
);

const fmt = (n: number): string =>
  Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toPrecision(3)));

const debugged = [...byWorkload.values()].filter((l) => l.params['workerDebugMode'] !== undefined);
if (debugged.length > 0) {
  console.log(
    `**Not the default configuration:** ${debugged.map(rowName).join(', ')} ran with ` +
      'the workers in debug mode (REPRISE_DEBUG, deadlock detection off).\n',
  );
}
const fallback = [...byWorkload.values()].filter((l) => l.params['watchdog'] === 'node-vm');
if (fallback.length > 0) {
  console.log(
    `**Slower than a full install:** ${fallback.map(rowName).join(', ')} ran with ` +
      "node:vm's watchdog (the native one was not built: `npm run build:native` says why).\n",
  );
}
console.log('| workload | figure | target | median (min–max) | met? | best alternative |');
console.log('|---|---|---|---|---|---|');
for (const t of TARGETS) {
  const target = `${t.kind === 'max' ? '≤' : t.kind === 'min' ? '≥' : '='} ${fmt(t.value)}`;
  const rows = [...byWorkload].filter(([, l]) => l.workload === t.workload);
  if (rows.length === 0) {
    console.log(`| ${t.workload} | ${t.figure} | ${target} | not measured | — | ${t.best ?? ''} |`);
  }
  for (const [name, l] of rows) {
    const s = l.figures[t.figure];
    if (s === undefined) {
      console.log(`| ${name} | ${t.figure} | ${target} | not measured | — | ${t.best ?? ''} |`);
      continue;
    }
    const ratio =
      t.kind === 'eq'
        ? ''
        : ` (${fmt(t.kind === 'max' ? s.median / t.value : t.value / s.median)}× off)`;
    const ok = met(t, s.median);
    console.log(
      `| ${name} | ${t.figure} | ${target} ${s.unit} | ${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)}) | ${ok ? 'met' : `**not met**${ratio}`} | ${t.best ?? ''} |`,
    );
  }
}

for (const [name, l] of byWorkload) {
  console.log(`\n### ${name} (${l.reps} reps)`);
  console.log(`params: ${JSON.stringify(l.params)}`);
  if (l.errors) console.log(`errors: ${l.errors.join('; ')}`);
  console.log('\n| figure | median | min | max | unit |\n|---|---|---|---|---|');
  for (const [name, s] of Object.entries(l.figures)) {
    console.log(`| ${name} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} | ${s.unit} |`);
  }
  console.log(
    `\npeak RSS (MiB, max over reps): ${Object.entries(l.peakRssMiB)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  for (const n of l.notes ?? []) console.log(`\nnote: ${n}`);
}
