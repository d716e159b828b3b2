// Service mode: the engine in a process of its own (bench/hosts/engine-host.ts), serving its API
// over HTTP on 127.0.0.1; each worker in another (bench/hosts/worker-host.ts), connected to it
// over HTTP; the client in the repetition's process, over HTTP too. The store is the SQLite file
// only the engine's process opens.
import * as z from 'zod';
import { Client, Connection } from 'reprise/client';
import type { StoreCounter } from './counting-store.ts';
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

function cpuUs(u: Usage): { totalUs: number; systemUs: number } {
  return { totalUs: u.usage.userUs + u.usage.systemUs, systemUs: u.usage.systemUs };
}

/**
 * Starts the engine host on `site`'s store and connects a client to it. `counter`, if
 * given, counts the engine host's store calls (read back at the end of each measured phase).
 */
export async function openServiceDeployment(
  ctx: RepContext,
  site: StoreSite,
  counter: StoreCounter | undefined,
): Promise<Deployment> {
  const { dbPath, taskQueue, dir } = site;
  const workers: { host: Host; entry: RunningWorker }[] = [];
  let engine: Host | undefined;
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
      if (engine !== undefined) await stop(engine);
      site.close();
    }
  };

  try {
    engine = await startHost(ctx, ENGINE_HOST, ENGINE_LABEL, {
      BENCH_STORE: site.storeUrl,
      BENCH_COUNT_STORE: counter === undefined ? '0' : '1',
    });
    const { url } = Ready.parse(await engine.next('ready'));
    connection = await Connection.connect({ address: url });
    const engineHost = engine;
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
          BENCH_ENGINE_URL: url,
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
        const [engine0, ...workers0] = await Promise.all([engineHost, ...hosts].map(usageOf));
        const client0 = process.cpuUsage();
        return {
          end: async (): Promise<CpuSpent> => {
            const client = process.cpuUsage(client0);
            const [engine1, ...workers1] = await Promise.all([engineHost, ...hosts].map(usageOf));
            if (engine0 === undefined || engine1 === undefined) throw new Error('no engine usage');
            if (counter !== undefined && engine0.store && engine1.store)
              counter.between(engine0.store, engine1.store);
            const spent = (a: Usage, b: Usage): { totalUs: number; systemUs: number } => {
              const [x, y] = [cpuUs(a), cpuUs(b)];
              return { totalUs: y.totalUs - x.totalUs, systemUs: y.systemUs - x.systemUs };
            };
            const engineSpent = spent(engine0, engine1);
            const workerSpent = workers1.map((u, i) => spent(workers0[i] ?? u, u));
            const workersUs = workerSpent.reduce((n, s) => n + s.totalUs, 0);
            const clientUs = client.user + client.system;
            return {
              totalUs: engineSpent.totalUs + workersUs + clientUs,
              systemUs:
                engineSpent.systemUs +
                workerSpent.reduce((n, s) => n + s.systemUs, 0) +
                client.system,
              byProcess: { engine: engineSpent.totalUs, workers: workersUs, client: clientUs },
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
