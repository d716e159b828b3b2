// A worker that is no worker: it answers the engine's tasks for the `steps` workflow
// (bench/fixtures/workflows.ts) straight from JavaScript, with no sandbox, no bundle and no
// activity runner, through the same EngineApi calls and eager dispatch the real worker uses.
// What a workload measures through it is the engine and its store alone: the ceiling the
// engine's process would reach if the workers cost it nothing (in another process, say).
import type { HistoryEvent } from '../../src/protocol/history-events.ts';
import type { Command } from '../../src/protocol/commands.ts';
import type { EngineApi, RunWorkflowTask } from '../../src/transport/engine-api.ts';

const NAMESPACE = 'default';
const IDENTITY = 'bench-stub-worker';
const POLL_WAIT_MS = 1000;

/** The `steps(n, input)` run as the stub keeps it: steps left and the value so far. */
interface StepsRun {
  left: number;
  value: number;
  seq: number;
}

export interface StubWorker {
  stop(): Promise<void>;
}

/** Starts `polls` workflow-task polls and as many activity-task polls on `taskQueue`. */
export async function startStubWorker(
  api: EngineApi,
  taskQueue: string,
  polls = 10,
): Promise<StubWorker> {
  await api.registerWorker({
    namespace: NAMESPACE,
    taskQueue,
    identity: IDENTITY,
    workflowTypes: ['steps'],
    activityTypes: ['addOne'],
    signalNames: [],
  });
  const runs = new Map<string, StepsRun>();
  const abort = new AbortController();
  const poll = { namespace: NAMESPACE, taskQueue, identity: IDENTITY, waitMs: POLL_WAIT_MS };

  const commandsFor = (task: RunWorkflowTask): Command[] => {
    let run = runs.get(task.runId);
    for (const e of task.events) run = advance(run, e);
    if (run === undefined) throw new Error(`stub worker: run ${task.runId} began before it`);
    runs.set(task.runId, run);
    if (run.left === 0) {
      runs.delete(task.runId);
      return [{ type: 'CompleteWorkflowExecution', result: run.value }];
    }
    run.seq += 1;
    return [
      {
        type: 'ScheduleActivityTask',
        seq: run.seq,
        activityId: String(run.seq),
        activityType: 'addOne',
        taskQueue,
        args: [run.value],
        startToCloseTimeoutMs: 30_000,
        requestEagerExecution: true,
      },
    ];
  };

  const answerActivity = async (task: { taskToken: string; args: unknown[] }): Promise<void> => {
    const out = await api.completeActivityTask({
      taskToken: task.taskToken,
      identity: IDENTITY,
      result: (task.args[0] as number) + 1,
      eagerWorkflowTask: true,
    });
    if (out.workflowTask !== undefined) await answerWorkflow(out.workflowTask);
  };

  const answerWorkflow = async (task: RunWorkflowTask): Promise<void> => {
    const out = await api.completeWorkflowTask({
      taskToken: task.taskToken,
      identity: IDENTITY,
      commands: commandsFor(task),
    });
    await Promise.all((out.activityTasks ?? []).map(answerActivity));
  };

  const loop = async (next: () => Promise<void>): Promise<void> => {
    while (!abort.signal.aborted) await next();
  };
  const loops = [
    ...Array.from({ length: polls }, () =>
      loop(async () => {
        const task = await api.pollWorkflowTask(poll, abort.signal);
        if (task?.kind === 'workflow') await answerWorkflow(task);
      }),
    ),
    ...Array.from({ length: polls }, () =>
      loop(async () => {
        const task = await api.pollActivityTask(poll, abort.signal);
        if (task !== undefined) await answerActivity(task);
      }),
    ),
  ];
  return {
    stop: async () => {
      abort.abort();
      await Promise.all(loops);
    },
  };
}

/** The run after one more event of its history. */
function advance(run: StepsRun | undefined, e: HistoryEvent): StepsRun | undefined {
  if (e.type === 'WorkflowExecutionStarted') {
    const [n, input] = e.input as [number, number | undefined];
    return { left: n, value: input ?? 0, seq: 0 };
  }
  if (e.type === 'ActivityTaskCompleted' && run !== undefined) {
    return { ...run, left: run.left - 1, value: e.result as number };
  }
  return run;
}
