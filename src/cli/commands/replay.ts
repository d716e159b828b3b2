// `reprise replay`: replays saved or live histories against workflow code (contract 5's check).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import * as z from 'zod';
import { InvalidArgumentError } from 'reprise/client';
import type { History } from 'reprise/client';
import type { ReplayableHistory } from 'reprise/worker';
import { withClient } from '../cli-context.ts';
import type { CliContext } from '../cli-context.ts';
import { addClientFlags, ClientFlags, parseFlags } from '../flags.ts';
import { printJson } from '../output.ts';

const ReplayFlags = ClientFlags.extend({
  workflows: z.string().min(1),
  workflowId: z.string().min(1).optional(),
  runId: z.string().min(1).optional(),
});
type ReplayFlags = z.infer<typeof ReplayFlags>;

interface Replayed {
  readonly workflowId: string;
  readonly history: ReplayableHistory;
}

/** A history file: the JSON `fetchHistory()` gives (or `reprise workflow show -o json` prints). */
function readHistoryFile(file: string): Replayed {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidArgumentError(
      `Cannot read history file '${file}': ${(e as Error).message}. Pass the JSON that ` +
        "'reprise workflow show -o json' prints or handle.fetchHistory() returns.",
    );
  }
  const workflowId = (parsed as { workflowId?: unknown } | null)?.workflowId;
  return {
    workflowId: typeof workflowId === 'string' ? workflowId : file,
    history: parsed as ReplayableHistory,
  };
}

/** The histories the flags and arguments name: files, or one run fetched from a server. */
async function historiesOf(
  context: CliContext,
  flags: ReplayFlags,
  files: readonly string[],
): Promise<Replayed[]> {
  if (files.length > 0 && flags.workflowId !== undefined) {
    throw new InvalidArgumentError(
      'Pass history files or --workflow-id, not both: replay one source at a time.',
    );
  }
  if (files.length > 0) return files.map(readHistoryFile);
  if (flags.workflowId === undefined) {
    throw new InvalidArgumentError(
      'Nothing to replay: pass history files (reprise replay --workflows ./workflows.ts h.json) ' +
        'or --workflow-id to fetch a run from the server at --address.',
    );
  }
  const { workflowId, runId } = flags;
  const history: History = await withClient(context, flags, (client) =>
    client.workflow.getHandle(workflowId, runId).fetchHistory(),
  );
  return [{ workflowId, history }];
}

/** `reprise replay`: exits 1 and says what differed if the code does not replay a history. */
export function replayCommand(context: CliContext): Command {
  return addClientFlags(
    new Command('replay')
      .description('Replay workflow histories against workflow code to check it is deterministic')
      .argument('[histories...]', 'history JSON files')
      .requiredOption('--workflows <path>', 'the workflow code (a .ts or .js module)')
      .option('-w, --workflow-id <id>', 'replay this workflow fetched from the server instead')
      .option('-r, --run-id <id>', 'with --workflow-id: this run (default: the latest)'),
  ).action(async (files: string[], options: unknown) => {
    const flags = parseFlags(ReplayFlags, options);
    const workflowsPath = resolve(flags.workflows);
    if (!existsSync(workflowsPath)) {
      throw new InvalidArgumentError(
        `--workflows '${flags.workflows}': no such file. Pass the module that exports your workflows.`,
      );
    }
    const histories = await historiesOf(context, flags, files);
    // Loaded here, not at the top, as the engine is in serve-engine.ts: only replay needs it.
    const { Worker } = await import('reprise/worker');
    const results = [];
    for await (const r of Worker.runReplayHistories(
      { workflowsPath, namespace: flags.namespace },
      histories,
    )) {
      results.push(r);
    }
    if (results.some((r) => r.error !== undefined)) context.setExitCode(1);
    if (flags.output === 'json') {
      printJson(
        context.io,
        results.map(({ workflowId, runId, error }) => ({
          workflowId,
          runId,
          ok: error === undefined,
          ...(error && { error: { name: error.name, message: error.message } }),
        })),
      );
      return;
    }
    for (const { workflowId, runId, error } of results) {
      context.io.out(
        error === undefined
          ? `OK      ${workflowId} (run ${runId})\n`
          : `FAILED  ${workflowId} (run ${runId}): ${error.name}: ${error.message}\n`,
      );
    }
  });
}
