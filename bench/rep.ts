/* eslint-disable no-console */
// One repetition of one workload, in a process of its own (compiled and started with plain node
// by bench/run.ts), so that its peak RSS is its own and no repetition inherits another's heap.
// Argument: the JSON of {workload, rep, options, compiledHosts}. Sends {type:'result', figures,
// notes} or {type:'error', message}.
import { RepChannel } from './lib/channel.ts';
import type { BenchOptions } from './lib/workload.ts';
import { findWorkload } from './workloads/index.ts';

const arg = process.argv[2];
if (arg === undefined) throw new Error('usage: rep.ts <json>');
const {
  workload: id,
  rep,
  options,
  compiledHosts,
} = JSON.parse(arg) as {
  workload: string;
  rep: number;
  options: BenchOptions;
  compiledHosts: Record<string, string>;
};
const workload = findWorkload(id);
if (workload === undefined) throw new Error(`unknown workload ${id}`);
const channel = new RepChannel();
try {
  const result = await workload.rep(channel.context(rep, options, compiledHosts));
  await channel.send({
    type: 'result',
    figures: result.figures,
    notes: result.notes ?? [],
    peakBytes: process.resourceUsage().maxRSS * 1024,
  });
} catch (e) {
  console.error(e);
  await channel.send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
process.exit(0);
