// Service mode: the engine in a process of its own (bench/hosts/engine-host.ts), serving its API
// over HTTP on 127.0.0.1; each worker in another (bench/hosts/worker-host.ts), connected to it
// over HTTP; the client in the repetition's process, over HTTP too. The store is the SQLite file
// only the engine's process opens, or a PostgreSQL schema. With `--engines N` (PostgreSQL), N
// engine processes serve the one schema: worker i connects to engine i mod N, the client to the
// first, as clients behind a load balancer and workers spread over the engines would.
import * as z from 'zod';
import { Client, Connection } from 'reprise/client';
import type { StoreCounter, StoreCounts } from './counting-store.ts';
import type {
  CpuSpent,
  Deployment,
  Measuring,
  RunningWorker,
  StoreSite,
  WorkerTuning,
} from './deployment.ts';
import { startHost, stopHost } from './hosts.ts';
import type { Host } from './hosts.ts';
import type { RepContext } from './workload.ts';

export const ENGINE_HOST = new URL('../hosts/engine-host.ts', import.meta.url).pathname;
export const WORKER_HOST = new URL('../hosts/worker-host.ts', import.meta.url).pathname;
/** The hosts a service-mode repetition starts: the runner compiles them. */
export const SERVICE_HOSTS: readonly string[] = [ENGINE_HOST, WORKER_HOST];

/** The repetition's own process in peakRssMiB: it holds only the client. */
export const SERVICE_CLIENT_LABEL = 'bench (client)';
const ENGINE_LABEL = 'engine';
const WORKER_LABEL = 'worker';

const Ready = z.object({ url: z.string() });

/** The engine hosts' store counts summed: what the deployment's engines did together. */
function sumCounts(counts: readonly StoreCounts[]): StoreCounts {
  const calls: Record<string, number> = {};
  let durableCommits = 0;
  for (const c of counts) {
    for (const [method, n] of Object.entries(c.calls)) calls[method] = (calls[method] ?? 0) + n;
    durableCommits += c.durableCommits;
  }
  return { calls, durableCommits };
}

/** A host's `usage` and `stopped` messages (bench/hosts/parent-link.ts). */
const Usage = z.object({
  usage: z.object({ userUs: z.number(), systemUs: z.number(), peakBytes: z.number() }),
  store: z
    .object({ calls: z.record(z.string(), z.number()), durableCommits: z.number() })
    .optional(),
});
type Usage = z.infer<typeof Usage>;

async function usageOf(host: Host): Promise<Usage> {
  return Usage.parse(await host.request({ type: 'usage' }, 'usage'));
}

interface CpuUs {
  totalUs: number;
  systemUs: number;
}

function cpuUs(u: Usage): CpuUs {
  return { totalUs: u.usage.userUs + u.usage.systemUs, systemUs: u.usage.systemUs };
}

/**
 * Starts the engine hosts (`ctx.options.engines`) on `site`'s store and connects a client to the
 * first. `counter`, if given, counts the engine hosts' store calls (read back, summed, at the end
 * of each measured phase).
 */
export async function openServiceDeployment(
  ctx: RepContext,
  site: StoreSite,
  counter: StoreCounter | undefined,
): Promise<Deployment> {
  const { dbPath, taskQueue, dir } = site;
  const workers: { host: Host; entry: RunningWorker }[] = [];
  const engines: Host[] = [];
  let connection: Connection | undefined;

  const stop = async (host: Host): Promise<void> => {
    const stopped = await stopHost(ctx, host);
    if (stopped !== undefined) ctx.recordPeak(host.pid, Usage.parse(stopped).usage.peakBytes);
  };
  const close = async (): Promise<void> => {
    try {
      for (const w of [...workers]) await w.entry.stop();
      await connection?.close();
    } finally {
      await Promise.all(engines.map(stop));
      site.close();
    }
  };

  try {
    // One after another: each opens the store (and on a fresh schema, creates it) in turn.
    const urls: string[] = [];
    for (let i = 0; i < ctx.options.engines; i++) {
      const host = await startHost(ctx, ENGINE_HOST, ENGINE_LABEL, {
        BENCH_STORE: site.storeUrl,
        BENCH_COUNT_STORE: counter === undefined ? '0' : '1',
      });
      engines.push(host);
      urls.push(Ready.parse(await host.next('ready')).url);
    }
    connection = await Connection.connect({ address: urls[0] ?? '' });
    const api = connection;
    return {
      mode: 'service',
      store: ctx.options.store,
      client: new Client({ connection: api }),
      connection: api,
      taskQueue,
      dbPath,
      dir,
      startWorker: async (tuning: WorkerTuning = {}) => {
        const host = await startHost(ctx, WORKER_HOST, WORKER_LABEL, {
          BENCH_ENGINE_URL: urls[workers.length % urls.length] ?? '',
          BENCH_QUEUE: taskQueue,
          BENCH_TUNING: JSON.stringify(tuning),
        });
        const w = {
          host,
          entry: {
            stop: async () => {
              workers.splice(workers.indexOf(w), 1);
              await stop(host);
            },
          },
        };
        workers.push(w);
        return w.entry;
      },
      startMeasuring: async (): Promise<Measuring> => {
        const hosts = workers.map((w) => w.host);
        const usages = (): Promise<Usage[][]> =>
          Promise.all([engines, hosts].map((list) => Promise.all(list.map(usageOf))));
        const [engines0, workers0] = await usages();
        const client0 = process.cpuUsage();
        return {
          end: async (): Promise<CpuSpent> => {
            const client = process.cpuUsage(client0);
            const [engines1, workers1] = await usages();
            if (engines0 === undefined || engines1 === undefined || workers1 === undefined)
              throw new Error('no usage');
            const stores = (us: Usage[]): StoreCounts[] =>
              us.flatMap((u) => (u.store === undefined ? [] : [u.store]));
            if (counter !== undefined)
              counter.between(sumCounts(stores(engines0)), sumCounts(stores(engines1)));
            const spent = (before: Usage[] | undefined, after: Usage[]): CpuUs => {
              const total = { totalUs: 0, systemUs: 0 };
              after.forEach((u, i) => {
                const [x, y] = [cpuUs(before?.[i] ?? u), cpuUs(u)];
                total.totalUs += y.totalUs - x.totalUs;
                total.systemUs += y.systemUs - x.systemUs;
              });
              return total;
            };
            const engineSpent = spent(engines0, engines1);
            const workerSpent = spent(workers0, workers1);
            const clientUs = client.user + client.system;
            return {
              totalUs: engineSpent.totalUs + workerSpent.totalUs + clientUs,
              systemUs: engineSpent.systemUs + workerSpent.systemUs + client.system,
              byProcess: {
                engine: engineSpent.totalUs,
                workers: workerSpent.totalUs,
                client: clientUs,
              },
            };
          },
        };
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
