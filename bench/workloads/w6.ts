// W6 crash: W2's shape (500 workflows × 10 steps with --scale full; 200 by default) with a
// process SIGKILLed at ~50% of the steps and restarted at once. Three variants:
//  - worker: the worker host (a child process with its own engine and worker on the shared
//    SQLite file) dies; the client and its engine live on in this process.
//  - app: the embedded application (engine + worker + client in one child process) dies, and
//    a new one attaches to the workflows by id. That is the "engine killed" case in embedded
//    mode: every engine that served the workflows dies.
//  - client: the process whose engine the client uses (engine + client, a child process) dies
//    while a separate worker host lives on; a new one attaches and collects the results.
// Recovery is the time from the kill until every run that was unfinished at the kill has
// recorded progress again (a step completed, or the run completed); recoveryP50S is when half
// of them had. It is bounded below by how long the engine takes to hand out again what the
// dead process held: started workflow tasks (timeout 1 s here), started activities
// (start-to-close 1 s here), and claimed tasks and taken timers (their lease).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { effectSteps } from '../fixtures/workflows.ts';
import { openDeployment, reserveStore } from '../lib/deployment.ts';
import { APP_HOST, hostExited, killHost, startHost } from '../lib/hosts.ts';
import type { Host } from '../lib/hosts.ts';
import { StoreProbe } from '../lib/probe.ts';
import { median } from '../lib/stats.ts';
import type { Measured } from '../lib/stats.ts';
import { waitUntil } from '../lib/workload.ts';
import type { BenchOptions, RepContext, Workload } from '../lib/workload.ts';

interface Shape {
  readonly workflows: number;
  readonly steps: number;
  readonly total: number;
}

/** Scaled down by default (a repetition of the full size takes ~5 minutes today). */
function shapeFor(o: BenchOptions): Shape {
  const workflows = o.scale === 'full' ? 500 : 200;
  return { workflows, steps: 10, total: workflows * 10 };
}

const PROGRESS = ['ActivityTaskCompleted', 'WorkflowExecutionCompleted'];

interface Verdict {
  figures: Record<string, Measured>;
}

/**
 * The runs still running once the host is killed, each with its next event id (what
 * `recovered` counts progress from), and a log line of where the kill fell. The runs are read
 * first: a count of the steps takes milliseconds, in which the live engine of the client variant
 * commits more, and those commits are progress after the kill.
 */
function runsAtKill(
  ctx: RepContext,
  probe: StoreProbe,
  variant: string,
  shape: Shape,
): Map<string, number> {
  const pending = probe.runningNextEventIds();
  const atKill = probe.countEvents('ActivityTaskCompleted');
  ctx.log(
    `W6 ${variant} rep ${ctx.rep}: killed at ${atKill}/${shape.total} steps, ${pending.size} runs open`,
  );
  return pending;
}

/**
 * Waits until every run in `pending` (run id → its next event id when the kill was seen) has a
 * progress event from that id on; returns, in seconds after `sinceMs`, when the last one moved
 * and when half of them had. Progress is read by event id, not by time: a decision that a live
 * engine made just before the kill may commit after the runs were read (its commit waits for
 * the group commit or the answer it lingers for), with events timed before the kill, and it can
 * be a run's last (its time counts as no delay).
 */
async function recovered(
  probe: StoreProbe,
  pending: ReadonlyMap<string, number>,
  sinceMs: number,
): Promise<{ lastS: number; p50S: number }> {
  let firsts = new Map<string, number>();
  try {
    await waitUntil(
      () => {
        firsts = probe.firstEventFrom(PROGRESS, pending);
        for (const r of pending.keys()) if (!firsts.has(r)) return false;
        return true;
      },
      'every interrupted run to make progress',
      120_000,
      20,
    );
  } catch (e) {
    const stuck = [...pending.keys()].filter((r) => !firsts.has(r));
    const shown = probe.describeRuns(stuck.slice(0, 5), 8).join('; ');
    throw new Error(`${String(e)}: ${stuck.length} runs did not move, such as ${shown}`);
  }
  const delays = [...pending.keys()].map(
    (r) => Math.max(0, (firsts.get(r) ?? sinceMs) - sinceMs) / 1000,
  );
  return { lastS: Math.max(...delays), p50S: median(delays) };
}

function verdict(
  shape: Shape,
  probe: StoreProbe,
  effectsFile: string,
  timings: Record<string, number>,
): Verdict {
  const completed = probe.runIds('Completed').length;
  const perRun = probe.perRunCounts('ActivityTaskCompleted');
  let recordedTwice = 0;
  for (const { n, distinct } of perRun.values())
    if (n !== shape.steps || distinct !== shape.steps) recordedTwice++;
  const lines = existsSync(effectsFile)
    ? readFileSync(effectsFile, 'utf8').split('\n').filter(Boolean)
    : [];
  const bodies = new Map<string, number>();
  for (const l of lines) bodies.set(l, (bodies.get(l) ?? 0) + 1);
  const reRun = lines.length - bodies.size;
  const missing = shape.total - bodies.size;
  const figures: Record<string, Measured> = {
    allFinished: { value: completed === shape.workflows ? 1 : 0, unit: 'bool' },
    runsNotStepOnce: { value: recordedTwice + (shape.workflows - perRun.size), unit: 'runs' },
    stepBodiesReRun: { value: reRun, unit: 'bodies' },
    stepBodiesNeverRun: { value: missing, unit: 'bodies' },
  };
  for (const [k, v] of Object.entries(timings)) figures[k] = { value: v, unit: 's' };
  return { figures };
}

async function workerVariant(ctx: RepContext, shape: Shape): Promise<Verdict> {
  const d = await openDeployment(ctx);
  const effects = join(d.dir, 'effects.log');
  const hostEnv = {
    BENCH_DB: d.dbPath,
    BENCH_QUEUE: d.taskQueue,
    BENCH_EFFECTS: effects,
    BENCH_ROLE: 'worker',
  };
  const probe = new StoreProbe(d.dbPath);
  let host: Host | undefined;
  try {
    host = await startHost(ctx, APP_HOST, 'worker-host', hostEnv);
    const t0 = Date.now();
    const handles = await Promise.all(
      Array.from({ length: shape.workflows }, (_, i) =>
        d.client.workflow.start(effectSteps, {
          taskQueue: d.taskQueue,
          workflowId: `w6-${i}`,
          args: [shape.steps],
          workflowTaskTimeout: '1 second',
        }),
      ),
    );
    const results = Promise.all(handles.map((h) => h.result()));
    results.catch(() => undefined);
    await waitUntil(
      () => probe.countEvents('ActivityTaskCompleted') >= shape.total / 2,
      'half the steps',
      120_000,
      5,
    );
    await killHost(ctx, host);
    const killedAt = Date.now();
    const pending = runsAtKill(ctx, probe, 'worker', shape);
    host = await startHost(ctx, APP_HOST, 'worker-host (restarted)', hostEnv);
    const readyAt = Date.now();
    const recovery = await recovered(probe, pending, killedAt);
    const values = await results;
    const doneAt = Date.now();
    const wrong = values.filter((v) => v !== shape.steps).length;
    if (wrong > 0) throw new Error(`W6 worker: ${wrong} wrong results`);
    return verdict(shape, probe, effects, {
      recoveryS: recovery.lastS,
      recoveryP50S: recovery.p50S,
      restartReadyS: (readyAt - killedAt) / 1000,
      killToAllDoneS: (doneAt - killedAt) / 1000,
      wallS: (doneAt - t0) / 1000,
    });
  } finally {
    if (host) await killHost(ctx, host);
    probe.close();
    await d.close();
  }
}

/**
 * The process that started the workflows and awaits their results is killed and restarted:
 * `app` — it also holds the only worker (every engine serving the runs dies);
 * `client` — a separate worker host keeps running.
 */
async function hostedVariant(
  ctx: RepContext,
  kind: 'app' | 'client',
  shape: Shape,
): Promise<Verdict> {
  const d = reserveStore(ctx.options);
  const effects = join(d.dir, 'effects.log');
  const base = { BENCH_DB: d.dbPath, BENCH_QUEUE: d.taskQueue, BENCH_EFFECTS: effects };
  const hostEnv = {
    ...base,
    BENCH_ROLE: kind,
    BENCH_RUNS: String(shape.workflows),
    BENCH_STEPS: String(shape.steps),
  };
  const label = kind === 'app' ? 'app (engine+worker+client)' : 'client host (engine+client)';
  let host: Host | undefined;
  let workerHost: Host | undefined;
  let probe: StoreProbe | undefined;
  try {
    const t0 = Date.now();
    if (kind === 'client') {
      workerHost = await startHost(ctx, APP_HOST, 'worker-host', { ...base, BENCH_ROLE: 'worker' });
    }
    host = await startHost(ctx, APP_HOST, label, hostEnv);
    await host.next('started');
    const p = new StoreProbe(d.dbPath);
    probe = p;
    await waitUntil(
      () => p.countEvents('ActivityTaskCompleted') >= shape.total / 2,
      'half the steps',
      120_000,
      5,
    );
    await killHost(ctx, host);
    const killedAt = Date.now();
    const pending = runsAtKill(ctx, p, kind, shape);
    host = await startHost(ctx, APP_HOST, `${label.split(' (')[0] ?? kind} (restarted)`, {
      ...hostEnv,
      BENCH_ATTACH: '1',
    });
    const readyAt = Date.now();
    const recovery = await recovered(p, pending, killedAt);
    const done = await host.next('done');
    const doneAt = Date.now();
    if (typeof done['peakBytes'] === 'number') ctx.recordPeak(host.pid, done['peakBytes']);
    await hostExited(host, 10_000);
    if (done['wrong'] !== 0) throw new Error(`W6 ${kind}: ${String(done['wrong'])} wrong results`);
    return verdict(shape, p, effects, {
      recoveryS: recovery.lastS,
      recoveryP50S: recovery.p50S,
      restartReadyS: (readyAt - killedAt) / 1000,
      killToAllDoneS: (doneAt - killedAt) / 1000,
      wallS: (doneAt - t0) / 1000,
    });
  } finally {
    if (host) await killHost(ctx, host);
    if (workerHost) await killHost(ctx, workerHost);
    probe?.close();
    d.close();
  }
}

export const w6: Workload = {
  id: 'W6',
  title: 'crash',
  timeLimitMs: 600_000,
  processLabel: 'bench (client+engine of the worker variant)',
  hosts: [APP_HOST],
  params: (o) => ({
    workflows: shapeFor(o).workflows,
    scale:
      o.scale === 'full'
        ? 'full (500 workflows)'
        : 'scaled down (200 workflows; --scale full for 500)',
    stepsEach: shapeFor(o).steps,
    killAt: '50% of steps recorded',
    workflowTaskTimeout: '1 s',
    activityStartToCloseTimeout: '1 s',
  }),
  async rep(ctx) {
    const figures: Record<string, Measured> = {};
    const shape = shapeFor(ctx.options);
    const w = await workerVariant(ctx, shape);
    for (const [k, v] of Object.entries(w.figures)) figures[`worker.${k}`] = v;
    const a = await hostedVariant(ctx, 'app', shape);
    for (const [k, v] of Object.entries(a.figures)) figures[`app.${k}`] = v;
    const c = await hostedVariant(ctx, 'client', shape);
    for (const [k, v] of Object.entries(c.figures)) figures[`client.${k}`] = v;
    return { figures };
  },
};
