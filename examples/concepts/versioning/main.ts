// docs/versioning.md, runnable: records a history of `order` on version 1 and on version 2
// (`patched`), then replays them with Worker.runReplayHistory, as a CI check before a deploy
// would: version 2 replays version 1's history (old branch), version 3 (`deprecatePatch`)
// replays version 2's, and version 3 refuses version 1's with a DeterminismViolationError.
// In-process engine over a temporary SQLite file.
// Run: npx tsx examples/concepts/versioning/main.ts
import { pathToFileURL } from 'node:url';
import { Client } from 'reprise/client';
import type { History } from 'reprise/client';
import { Engine } from 'reprise/server';
import { DeterminismViolationError, Worker } from 'reprise/worker';
import { tempStore } from '../temp-store.ts';
import * as activities from './activities.ts';
import { order, proceed } from './workflows.ts';

type Version = 'v1' | 'v2' | 'v3';
const codeOf = (v: Version): string =>
  new URL(v === 'v2' ? './workflows.ts' : `./workflows-${v}.ts`, import.meta.url).pathname;

export interface Outcome {
  /** Each version's live result. */
  readonly results: Readonly<Record<'v1' | 'v2', string>>;
  /** Whether each version recorded a patch marker. */
  readonly markers: Readonly<Record<'v1' | 'v2', boolean>>;
  /** Each replay: `'ok'`, or the error's name. */
  readonly replays: Readonly<Record<'v2 replays v1' | 'v3 replays v2' | 'v3 replays v1', string>>;
}

/** Replays `history` against `code`: `'ok'`, or the name of the error it threw. */
async function replay(code: Version, history: History): Promise<string> {
  try {
    await Worker.runReplayHistory({ workflowsPath: codeOf(code) }, history);
    return 'ok';
  } catch (e) {
    if (!(e instanceof DeterminismViolationError)) throw e;
    return e.name;
  }
}

export async function run(): Promise<Outcome> {
  const tmp = tempStore('versioning');
  const engine = await Engine.open({ store: tmp.store });
  try {
    const client = new Client({ connection: engine.connection });
    const histories: Partial<Record<Version, History>> = {};
    const results: Partial<Record<Version, string>> = {};
    for (const version of ['v1', 'v2'] as const) {
      const taskQueue = `orders-${version}`;
      const worker = await Worker.create({
        connection: engine.connection,
        taskQueue,
        workflowsPath: codeOf(version),
        activities,
        buildId: `order-${version}`,
      });
      results[version] = await worker.runUntil(async () => {
        // Started by type name, `order`: each version's worker runs its own code for it.
        const handle = await client.workflow.start(order, {
          taskQueue,
          workflowId: `order-${version}`,
          args: ['A-1'],
        });
        await handle.signal(proceed);
        const result = await handle.result();
        histories[version] = await handle.fetchHistory(); // in CI: saved as JSON fixtures
        return result;
      });
    }
    const v1 = histories.v1 as History;
    const v2 = histories.v2 as History;
    const hasMarker = (h: History): boolean => h.events.some((e) => e.type === 'MarkerRecorded');
    return {
      results: { v1: results.v1 ?? '', v2: results.v2 ?? '' },
      markers: { v1: hasMarker(v1), v2: hasMarker(v2) },
      replays: {
        'v2 replays v1': await replay('v2', v1),
        'v3 replays v2': await replay('v3', v2),
        'v3 replays v1': await replay('v3', v1),
      },
    };
  } finally {
    await engine.close();
    tmp.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // eslint-disable-next-line no-console
  console.log(await run());
}
